// Package demo fills an empty installation with a clearly marked, entirely
// fictitious organisation, so that anyone can try Caseward in a minute.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
)

// Account is one demo sign-in.
type Account struct {
	Role       access.Role `json:"role"`
	Name       string      `json:"name"`
	Email      string      `json:"email"`
	Password   string      `json:"password"`
	TOTPSecret string      `json:"totp_secret"`
	TOTPURI    string      `json:"totp_uri"`
}

// Credentials are the demo organisation's sign-ins.
type Credentials struct {
	Accounts []Account `json:"accounts"`
}

// Describe prints how to sign in, for the terminal.
func (c Credentials) Describe() string {
	var b strings.Builder
	b.WriteString("Sign in with any of these (the code comes from an authenticator app given the TOTP secret,\n")
	b.WriteString("or from: oathtool --totp -b SECRET):\n")
	for _, a := range c.Accounts {
		fmt.Fprintf(&b, "  %-12s %-36s password %-30s TOTP secret %s\n", a.Role, a.Email, a.Password, a.TOTPSecret)
	}
	return b.String()
}

const credentialsFile = "demo-credentials.json"

// ErrNotEmpty is returned when the installation already has real accounts.
var ErrNotEmpty = errors.New("this data directory already holds accounts; the demo organisation is only created in an empty one (use another --data)")

type person struct {
	role     access.Role
	name     string
	email    string
	services []string
}

var (
	services = []struct {
		name   string
		shared bool
	}{{"Counselling", false}, {"Children and young people", false}, {"Advocacy", true}}
	people = []person{
		{access.Caseworker, "Amara Okafor", "amara.okafor@demo.caseward.invalid", []string{"Counselling"}},
		{access.Caseworker, "Tomasz Wiśniewski", "tomasz.wisniewski@demo.caseward.invalid", []string{"Children and young people"}},
		{access.Manager, "Priya Raman", "priya.raman@demo.caseward.invalid", []string{"Counselling", "Advocacy"}},
		{access.AdminStaff, "Gareth Hughes", "gareth.hughes@demo.caseward.invalid", []string{"Counselling", "Children and young people", "Advocacy"}},
		{access.DPO, "Siobhán Byrne", "siobhan.byrne@demo.caseward.invalid", nil},
		{access.Trustee, "Robert Ashworth", "robert.ashworth@demo.caseward.invalid", nil},
		{access.Sysadmin, "Lin Chen", "lin.chen@demo.caseward.invalid", nil},
	}
	// Names from many of the communities UK charities serve; all invented.
	clients = []casework.ClientInput{
		{GivenName: "Hana", FamilyName: "Mohammed Ali", DateOfBirth: "1991-04-12"},
		{GivenName: "Dilan", FamilyName: "Rashid", DateOfBirth: "1987-11-02"},
		{GivenName: "Zofia", FamilyName: "Kowalczyk", DateOfBirth: "1979-06-30"},
		{GivenName: "Samuel", FamilyName: "Tesfaye", DateOfBirth: "2001-01-19"},
		{GivenName: "Aoife", FamilyName: "Gallagher", DateOfBirth: "1995-08-08"},
		{GivenName: "Nasrin", FamilyName: "Karimi", DateOfBirth: "1983-03-25"},
	}
)

// The work around the demo's few clients: more plans and comments than in
// a large population, so that every page has something to show. The seed
// is one under which each caseworker has a support plan due for review.
const ensureSeed = 5

var ensureWork = WorkOptions{Notes: 3, Appointments: 4, PlanPercent: 60, CommentPercent: 35}

// Ensure creates the demo organisation on first use and returns its
// sign-ins; later starts return the same sign-ins, kept in a 0600 file in
// the data directory.
func Ensure(ctx context.Context, a *app.App) (Credentials, error) {
	path := filepath.Join(a.Config.DataDir, credentialsFile)
	var creds Credentials
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &creds); err != nil {
			return creds, fmt.Errorf("read %s: %w", path, err)
		}
		return creds, nil
	}
	empty, err := a.Staff.NeedsSetup(ctx)
	if err != nil {
		return creds, err
	}
	if !empty {
		return creds, ErrNotEmpty
	}
	for _, s := range services {
		if _, err := a.Staff.AddService(ctx, s.name, s.shared); err != nil {
			return creds, err
		}
	}
	actors := map[string]access.Actor{}
	for _, p := range people {
		first, _, _ := strings.Cut(p.email, ".")
		pw := "demo " + first + " walks the caseward path"
		u, enrol, err := a.Staff.AddUser(ctx, staff.NewUser{Email: p.email, Name: p.name, Role: p.role, Services: p.services, Password: pw})
		if err != nil {
			return creds, fmt.Errorf("add %s: %w", p.role, err)
		}
		creds.Accounts = append(creds.Accounts, Account{Role: p.role, Name: p.name, Email: p.email, Password: pw, TOTPSecret: enrol.Secret, TOTPURI: enrol.URI})
		actors[p.email] = u.Actor()
	}
	now := a.Now()
	for i, c := range clients {
		// Alternate clients between the two caseworkers' services.
		worker := people[i%2]
		svc, err := a.Staff.ServiceByName(ctx, worker.services[0])
		if err != nil {
			return creds, err
		}
		c.ServiceID = svc.ID
		id, err := a.Casework.CreateClient(ctx, actors[worker.email], c)
		if err != nil {
			return creds, fmt.Errorf("add demo client: %w", err)
		}
		cr := Creator{Actor: actors[worker.email], ServiceID: svc.ID}
		if _, err := AddWork(ctx, a.Casework, cr, id, FictitiousWork(ensureSeed, i, ensureWork, now)); err != nil {
			return creds, fmt.Errorf("add demo client's work: %w", err)
		}
	}
	b, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return creds, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return creds, fmt.Errorf("write %s: %w", path, err)
	}
	return creds, nil
}
