package totp

import (
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	pqtotp "github.com/pquerna/otp/totp"
)

// rfcSecret is the SHA1 seed of RFC 6238 Appendix B, "12345678901234567890"
// in ASCII, in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// TestCodeAtRFC6238 checks the RFC 6238 Appendix B SHA1 test vectors. The
// RFC gives 8 digits; a 6-digit code is the last 6 of them.
func TestCodeAtRFC6238(t *testing.T) {
	t.Parallel()
	key := []byte("12345678901234567890")
	tests := []struct {
		unix int64
		step int64
		rfc8 string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	}
	for _, tt := range tests {
		now := time.Unix(tt.unix, 0).UTC()
		if got := stepAt(now); got != tt.step {
			t.Errorf("stepAt(%d) = %#x, want %#x", tt.unix, got, tt.step)
		}
		want := tt.rfc8[2:]
		if got := codeAt(key, tt.step); got != want {
			t.Errorf("codeAt(step %#x) = %q, want %q", tt.step, got, want)
		}
		step, ok := Validate(rfcSecret, want, now, 0)
		if !ok || step != tt.step {
			t.Errorf("Validate(%q at %d) = %d, %v; want %d, true", want, tt.unix, step, ok, tt.step)
		}
	}
}

func TestStepAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		unix int64
		want int64
	}{
		{0, 0},
		{29, 0},
		{30, 1},
		{59, 1},
		{60, 2},
		{-1, -1},
		{-30, -1},
		{-31, -2},
	}
	for _, tt := range tests {
		if got := stepAt(time.Unix(tt.unix, 0)); got != tt.want {
			t.Errorf("stepAt(%d) = %d, want %d", tt.unix, got, tt.want)
		}
	}
	// Sub-second precision and time zones do not matter.
	a := time.Date(2026, 3, 1, 12, 0, 29, 999_999_999, time.UTC)
	b := a.In(time.FixedZone("X", 5*3600+1800))
	if stepAt(a) != stepAt(b) || stepAt(a) != stepAt(a.Truncate(30*time.Second)) {
		t.Error("stepAt depends on sub-second part or zone")
	}
}

// TestValidate uses the RFC secret at fixed times. At base the current step
// is cur; codes are those of cur-2 … cur+2.
func TestValidate(t *testing.T) {
	t.Parallel()
	key := []byte("12345678901234567890")
	base := time.Date(2026, 5, 14, 9, 30, 10, 0, time.UTC)
	cur := stepAt(base)
	code := func(d int64) string { return codeAt(key, cur+d) }

	tests := []struct {
		name     string
		code     string
		now      time.Time
		lastUsed int64
		wantStep int64
		wantOK   bool
	}{
		{"current step", code(0), base, 0, cur, true},
		{"previous step (skew)", code(-1), base, 0, cur - 1, true},
		{"next step (skew)", code(+1), base, 0, cur + 1, true},
		{"two steps old", code(-2), base, 0, 0, false},
		{"two steps ahead", code(+2), base, 0, 0, false},
		{"end of step", code(0), base.Truncate(30 * time.Second).Add(29 * time.Second), 0, cur, true},
		{"60s later still within skew", code(0), base.Add(30 * time.Second), 0, cur, true},
		{"90s later expired", code(0), base.Add(60 * time.Second), 0, 0, false},

		// Replay: the step returned last time is stored and passed back.
		{"replay of same code", code(0), base, cur, 0, false},
		{"replay a few seconds later", code(0), base.Add(5 * time.Second), cur, 0, false},
		{"replay in next step", code(0), base.Add(30 * time.Second), cur, 0, false},
		{"older code after newer used", code(-1), base, cur, 0, false},
		{"next code after current used", code(+1), base, cur, cur + 1, true},
		{"current code after previous used", code(0), base, cur - 1, cur, true},
		{"any code once future step used", code(0), base, cur + 1, 0, false},

		{"wrong code", "000000", base, 0, 0, false},
		{"spaces ignored", code(0)[:3] + " " + code(0)[3:], base, 0, cur, true},
		{"too short", code(0)[:5], base, 0, 0, false},
		{"too long", code(0) + "0", base, 0, 0, false},
		{"empty", "", base, 0, 0, false},
		{"letters", "12a456", base, 0, 0, false},
		{"sign", "+" + code(0)[1:], base, 0, 0, false},
		{"non-ASCII digits", "١٢٣٤٥٦", base, 0, 0, false},
		{"tab", code(0)[:3] + "\t" + code(0)[3:], base, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			step, ok := Validate(rfcSecret, tt.code, tt.now, tt.lastUsed)
			if step != tt.wantStep || ok != tt.wantOK {
				t.Fatalf("Validate(%q, %v, last %d) = %d, %v; want %d, %v",
					tt.code, tt.now, tt.lastUsed, step, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
}

// TestValidateSequence walks a person's sign-ins, storing the returned step
// each time as the caller does.
func TestValidateSequence(t *testing.T) {
	t.Parallel()
	key := []byte("12345678901234567890")
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	var last int64
	steps := []struct {
		name   string
		at     time.Duration // since t0
		codeAt time.Duration // when the code shown was generated
		wantOK bool
	}{
		{"first sign-in", 0, 0, true},
		{"same code again at once", 3 * time.Second, 0, false},
		{"same code from a proxy 40s later", 40 * time.Second, 0, false},
		{"fresh code", 45 * time.Second, 45 * time.Second, true},
		{"phone clock 30s slow", 5 * time.Minute, 5*time.Minute - 30*time.Second, true},
		{"phone clock 30s fast", 10 * time.Minute, 10*time.Minute + 30*time.Second, true},
		{"phone clock 2 min off", 20 * time.Minute, 18 * time.Minute, false},
	}
	for _, s := range steps {
		now := t0.Add(s.at)
		code := codeAt(key, stepAt(t0.Add(s.codeAt)))
		step, ok := Validate(rfcSecret, code, now, last)
		if ok != s.wantOK {
			t.Fatalf("%s: ok = %v, want %v", s.name, ok, s.wantOK)
		}
		if ok {
			if step <= last {
				t.Fatalf("%s: step %d not after last %d", s.name, step, last)
			}
			last = step
		}
	}
}

func TestValidateInvalidSecret(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 14, 9, 30, 10, 0, time.UTC)
	good := codeAt([]byte("12345678901234567890"), stepAt(now))
	for _, secret := range []string{
		"",
		"not base32!",
		strings.ToLower(rfcSecret),
		rfcSecret + "====",
		rfcSecret[:len(rfcSecret)-2], // not a valid base32 length
	} {
		if step, ok := Validate(secret, good, now, 0); ok || step != 0 {
			t.Errorf("Validate(secret %q) = %d, %v; want 0, false", secret, step, ok)
		}
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, issuer, account string
		wantPath              string // escaped path of the URI
	}{
		{"email", "Caseward", "alice@example.org", "/Caseward:alice@example.org"},
		{"spaces", "Safe Harbour Trust", "bob.smith@example.org.uk", "/Safe%20Harbour%20Trust:bob.smith@example.org.uk"},
		{"plus address", "Caseward", "carol+cw@example.org", "/Caseward:carol+cw@example.org"},
		{"reserved characters", "A&B?#", "d/e", "/A&B%3F%23:d%2Fe"},
		{"unicode", "Café Ōsaka", "zoë@example.org", "/Caf%C3%A9%20%C5%8Csaka:zo%C3%AB@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secret, uri, err := Generate(tt.issuer, tt.account)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
			if err != nil || len(raw) != SecretSize {
				t.Fatalf("secret %q: %d bytes, %v; want %d bytes", secret, len(raw), err, SecretSize)
			}
			u, err := url.Parse(uri)
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != "otpauth" || u.Host != "totp" {
				t.Errorf("URI %q: want otpauth://totp/", uri)
			}
			if got := u.EscapedPath(); got != tt.wantPath {
				t.Errorf("path = %q, want %q", got, tt.wantPath)
			}
			if got, want := u.Path, "/"+tt.issuer+":"+tt.account; got != want {
				t.Errorf("decoded label = %q, want %q", got, want)
			}
			if strings.Contains(u.RawQuery, "+") {
				t.Errorf("query %q uses '+'; spaces must be %%20", u.RawQuery)
			}
			q := u.Query()
			want := url.Values{
				"secret":    {secret},
				"issuer":    {tt.issuer},
				"algorithm": {"SHA1"},
				"digits":    {"6"},
				"period":    {"30"},
			}
			if len(q) != len(want) {
				t.Errorf("query %v, want exactly %v", q, want)
			}
			for k, v := range want {
				if q.Get(k) != v[0] {
					t.Errorf("query %s = %q, want %q", k, q.Get(k), v[0])
				}
			}

			// An independent implementation reads the same key.
			k, err := otp.NewKeyFromURL(uri)
			if err != nil {
				t.Fatal(err)
			}
			if k.Type() != "totp" || k.Issuer() != tt.issuer || k.AccountName() != tt.account ||
				k.Secret() != secret || k.Period() != 30 || k.Digits() != otp.DigitsSix ||
				k.Algorithm() != otp.AlgorithmSHA1 {
				t.Errorf("pquerna/otp reads %q as type %s issuer %q account %q period %d digits %v alg %v",
					uri, k.Type(), k.Issuer(), k.AccountName(), k.Period(), k.Digits(), k.Algorithm())
			}
		})
	}
}

func TestGenerateSecretsDiffer(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s, _, err := Generate("Caseward", "a@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if seen[s] {
			t.Fatalf("secret %q generated twice", s)
		}
		seen[s] = true
	}
}

func TestGenerateInvalidLabel(t *testing.T) {
	t.Parallel()
	tests := []struct{ issuer, account string }{
		{"", "a@example.org"},
		{"Caseward", ""},
		{"Case:ward", "a@example.org"},
		{"Caseward", "a:b@example.org"},
	}
	for _, tt := range tests {
		s, u, err := Generate(tt.issuer, tt.account)
		if !errors.Is(err, ErrInvalidLabel) || s != "" || u != "" {
			t.Errorf("Generate(%q, %q) = %q, %q, %v; want ErrInvalidLabel", tt.issuer, tt.account, s, u, err)
		}
	}
}

// TestAgainstPquerna checks that codes from github.com/pquerna/otp, as an
// authenticator app would compute them, validate here, across many times.
func TestAgainstPquerna(t *testing.T) {
	t.Parallel()
	secret, _, err := Generate("Caseward", "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		now := start.Add(time.Duration(i) * 7777 * time.Second)
		code, err := pqtotp.GenerateCode(secret, now)
		if err != nil {
			t.Fatal(err)
		}
		step, ok := Validate(secret, code, now, 0)
		if !ok || step != stepAt(now) {
			t.Fatalf("at %v pquerna code %s: Validate = %d, %v; want %d, true", now, code, step, ok, stepAt(now))
		}
		// And the other way round.
		valid, err := pqtotp.ValidateCustom(codeAt(mustDecode(t, secret), stepAt(now)), secret, now,
			pqtotp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil || !valid {
			t.Fatalf("at %v pquerna rejects our code: %v, %v", now, valid, err)
		}
	}
}

func mustDecode(t *testing.T, secret string) []byte {
	t.Helper()
	b, err := b32.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkValidate(b *testing.B) {
	now := time.Date(2026, 5, 14, 9, 30, 10, 0, time.UTC)
	code := codeAt([]byte("12345678901234567890"), stepAt(now))
	for b.Loop() {
		if _, ok := Validate(rfcSecret, code, now, 0); !ok {
			b.Fatal("rejected")
		}
	}
}
