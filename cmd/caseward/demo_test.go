package main

import (
	"regexp"
	"strings"
	"testing"
)

// caseward demo fills an empty installation with a fictitious organisation
// whose clients have notes, appointments, some a support plan or a
// comment; refuses a non-empty one; and caseward bench measures the
// everyday operations on it.
func TestDemoAndBench(t *testing.T) {
	eachEngine(t, func(t *testing.T, in install) {
		args := append([]string{"demo", "--clients", "24", "--notes-per-client", "2", "--appointments-per-client", "3",
			"--plan-percent", "40", "--comment-percent", "20", "--services", "2", "--workers", "2"}, in.flags()...)
		r := runCLI(t, noEnv, "", args...)
		if r.err != nil || !strings.Contains(r.stdout, "24 clients, 48 notes, 72 appointments, ") || !strings.Contains(r.stdout, "TOTP secret") {
			t.Fatalf("demo:\n%s", r)
		}
		m := regexp.MustCompile(`(\d+) support plans, (\d+) comments`).FindStringSubmatch(r.stdout)
		if m == nil || m[1] == "0" || m[2] == "0" {
			t.Fatalf("demo made no plans or no comments:\n%s", r)
		}
		if r := runCLI(t, noEnv, "", args...); r.err == nil || !strings.Contains(r.err.Error(), "already holds accounts") {
			t.Fatalf("demo over an existing organisation:\n%s", r)
		}
		r = runCLI(t, noEnv, "", append([]string{"bench", "--runs", "10"}, in.flags()...)...)
		if r.err != nil {
			t.Fatalf("bench:\n%s", r)
		}
		for _, op := range []string{"search a service", "intake duplicate check", "50 notes", "add a note"} {
			if !strings.Contains(r.stdout, op) {
				t.Errorf("bench printed no %q:\n%s", op, r.stdout)
			}
		}
		if r := runCLI(t, noEnv, "", "audit", "verify", "--data", in.loc.Dir, "--database", in.loc.URL); r.err != nil {
			t.Fatalf("audit after demo and bench:\n%s", r)
		}
	})
}
