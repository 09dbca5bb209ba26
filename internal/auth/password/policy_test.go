package password

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	const (
		msgShort15 = "Choose a password of at least 15 characters"
		msgShort8  = "Choose a password of at least 8 characters"
		msgLong    = "Choose a password of at most 128 characters"
		msgCommon  = "This password is too common: choose another"
	)
	tests := []struct {
		name      string
		pw        string
		secondFac bool
		want      error  // sentinel, or nil
		msg       string // user-facing message when want != nil
	}{
		{"empty", "", false, ErrTooShort, msgShort15},
		{"empty 2fa", "", true, ErrTooShort, msgShort8},
		{"14 chars", "abcdefghijklmn", false, ErrTooShort, msgShort15},
		{"15 chars", "abcdefghijklmno", false, nil, ""},
		{"7 chars 2fa", "kq7#zpm", true, ErrTooShort, msgShort8},
		{"8 chars 2fa", "kq7#zpmw", true, nil, ""},
		{"8 chars no 2fa", "kq7#zpmw", false, ErrTooShort, msgShort15},
		{"spaces count", "a b c d e f g h", false, nil, ""},
		{"only spaces", strings.Repeat(" ", 15), false, nil, ""},
		// Runes, not bytes: 14 two-byte runes are 28 bytes but too short.
		{"14 runes 28 bytes", strings.Repeat("é", 14), false, ErrTooShort, msgShort15},
		{"15 runes", strings.Repeat("é", 15), false, nil, ""},
		{"7 emoji 2fa", strings.Repeat("🔐", 7), true, ErrTooShort, msgShort8},
		{"8 emoji 2fa", strings.Repeat("🔐", 8), true, nil, ""},
		{"128 chars", strings.Repeat("q", 128), false, nil, ""},
		{"129 chars", strings.Repeat("q", 129), false, ErrTooLong, msgLong},
		{"129 chars 2fa", strings.Repeat("q", 129), true, ErrTooLong, msgLong},
		{"128 runes 512 bytes", strings.Repeat("🔐", 128), false, nil, ""},
		{"129 runes", strings.Repeat("🔐", 129), false, ErrTooLong, msgLong},
		// Common passwords, with and without a second factor, any case.
		{"common 2fa", "password", true, ErrTooCommon, msgCommon},
		{"common upper 2fa", "PASSWORD", true, ErrTooCommon, msgCommon},
		{"common mixed 2fa", "PaSsWoRd", true, ErrTooCommon, msgCommon},
		{"common digits 2fa", "12345678", true, ErrTooCommon, msgCommon},
		{"common 15", "1qaz2wsx3edc4rfv", false, ErrTooCommon, msgCommon},
		{"common 15 upper", "QAZWSXEDCRFVTGB", false, ErrTooCommon, msgCommon},
		{"common last entry 2fa", "11234567", true, ErrTooCommon, msgCommon},
		{"common short is too short first", "password", false, ErrTooShort, msgShort15},
		{"listed with punctuation 2fa", "password!", true, ErrTooCommon, msgCommon},
		{"near common 2fa", "passwordq7", true, nil, ""},
		{"padded common 2fa", " password", true, nil, ""},
		{"passphrase", "correct horse battery staple", false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.pw, tt.secondFac)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check(%q, %v) = %v, want nil", tt.pw, tt.secondFac, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check(%q, %v) = %v, want %v", tt.pw, tt.secondFac, err, tt.want)
			}
			if err.Error() != tt.msg {
				t.Errorf("message = %q, want %q", err.Error(), tt.msg)
			}
		})
	}
}

func TestCommonPasswordsList(t *testing.T) {
	t.Parallel()
	set := commonPasswords()
	if n := len(set); n < 10000 {
		t.Fatalf("common password list has %d entries, want at least 10000", n)
	}
	lines := strings.Split(strings.TrimSuffix(commonPasswordsText, "\n"), "\n")
	if len(lines) != len(set) {
		t.Errorf("%d lines but %d distinct entries: blank or duplicate lines", len(lines), len(set))
	}
	for i, line := range lines {
		if line == "" || line != strings.TrimSpace(line) || line != strings.ToLower(line) || !utf8.ValidString(line) {
			t.Errorf("line %d %q: want a non-empty, trimmed, lower-case, UTF-8 entry", i+1, line)
		}
	}
	for _, pw := range []string{"123456", "password", "qwerty", "letmein", "trustno1", "iloveyou"} {
		if _, ok := set[pw]; !ok {
			t.Errorf("%q missing from the common password list", pw)
		}
	}
}

func TestCheckSentinelsDistinct(t *testing.T) {
	t.Parallel()
	errs := []error{ErrTooShort, ErrTooLong, ErrTooCommon}
	for i, a := range errs {
		for j, b := range errs {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	commonPasswords()
	for b.Loop() {
		_ = Check("an ordinary passphrase of mine", false)
	}
}
