package casework

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/gate"
)

// key is the phonetic key of a whole name as search computes it: the key
// of its one normalised word.
func key(t *testing.T, name string) string {
	t.Helper()
	words := gate.NameTokens(name)
	if len(words) != 1 {
		t.Fatalf("%q is %d words", name, len(words))
	}
	return phonetic(words[0])
}

// Spelling variants of one name, from transliteration or from hearing it,
// share a key; the key also bridges the scripts a name may be typed in.
func TestPhoneticVariantsAgree(t *testing.T) {
	for _, group := range [][]string{
		{"Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohamad", "Mohamud", "محمد", "Мухаммад", "Mehmet"},
		{"Hussein", "Husain", "Hussain", "Husayn", "Hossein", "Hosein", "حسين", "حسین", "Хусейн"},
		{"Yusuf", "Youssef", "Yousef", "Yusef", "Joseph", "Josef", "Jusuf", "Iosif", "يوسف", "Юсуф"},
		{"Aleksandr", "Alexander", "Oleksandr", "Aleksander", "Alexandre", "Александр", "Олександр", "Alexandr"},
		{"Jamila", "Jamilla", "Jameela", "Djamila", "Джамиля", "جميلة"},
		{"Fatima", "Fatimah", "Fatma", "فاطمة"},
		{"Aisha", "Ayesha", "Aysha", "عائشة"},
		{"Omar", "Umar", "عمر"},
		{"Ibrahim", "Ebrahim", "Ibraheem", "إبراهيم"},
		{"Ahmed", "Ahmad", "Ahmet", "أحمد", "احمد"},
		{"Khalid", "Khaled", "Halid", "خالد"},
		{"Khadija", "Khadijah", "خديجة"},
		{"Abdullah", "Abdulla", "Abdallah", "عبدالله"},
		{"Nasrin", "Nasreen", "نسرین"},
		{"Walid", "Waleed", "Valid", "وليد"},
		{"Mikhail", "Mihail", "Михаил"},
		{"Catherine", "Katherine", "Kathryn"},
		{"Zofia", "Sofia", "Sophia", "София"},
		{"Siobhán", "Siobhan"},
		{"Tesfaye", "ተስፋዬ"},
		{"Yohannes", "ዮሃንስ"},
		{"Ram", "राम", "ਰਾਮ"},
		{"Amit", "अमित", "অমিত"},
		{"Kim", "김"},
		{"Nino", "ნინო"},
		{"Sarah", "Sara"},
		{"Dawood", "Dawud", "Daoud", "داود"},
		{"Gholam", "Ghulam", "Gulam", "غلام"},
		{"Qasim", "Kasim", "Kassim", "قاسم"},
	} {
		want := key(t, group[0])
		if len(want) < minPhoneticLength {
			t.Errorf("%s: key %q too short to index", group[0], want)
		}
		for _, name := range group[1:] {
			if got := key(t, name); got != want {
				t.Errorf("key(%s) = %q, want %q as for %s", name, got, want, group[0])
			}
		}
	}
}

// Different names keep different keys, or the phonetic look-up would
// drown the real matches; and Siobhán is too far from Shevaun.
func TestPhoneticDifferentNamesDiffer(t *testing.T) {
	for _, pair := range [][2]string{
		{"Siobhán", "Shevaun"},
		{"Mohammed", "Ahmed"},
		{"Hussein", "Yusuf"},
		{"Aleksandr", "Alexis"},
		{"Jamila", "Jamal"},
		{"Fatima", "Farida"},
		{"Samira", "Samir"},
		{"Amina", "Amin"},
		{"Anna", "Anne"},
		{"Smith", "Schmidt"},
		{"Kowalczyk", "Kowalski"},
		{"Nasrin", "Nasir"},
	} {
		if a, b := key(t, pair[0]), key(t, pair[1]); a == b {
			t.Errorf("%s and %s share the key %q", pair[0], pair[1], a)
		}
	}
}

func TestPhoneticEdges(t *testing.T) {
	for _, tc := range []struct{ word, want string }{
		{"", ""},
		{"123", ""},
		{"李", ""},    // no table for Han: found by exact and prefix look-ups instead
		{"ab", "AP"}, // a leading vowel keeps its place
		{"hannah", "HNA"},
		{"catherine", "KTRN"},
		{"nino", "NNA"},
		{"wright", "RT"},
		{"christopher", "KRSTFR"},
		{"xavier", "KSFR"},
	} {
		if got := phonetic(tc.word); got != tc.want {
			t.Errorf("phonetic(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestTypoKeys(t *testing.T) {
	near := func(a, b string) bool { return typoMatch(typoKeys(a), b) }
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"jamila", "jamilla", true}, // a letter added
		{"jamila", "jamla", true},   // removed
		{"jamila", "jamina", true},  // changed
		{"jamila", "jmaila", true},  // two swapped
		{"jon", "john", true},       // three letters are enough to be near a fourth
		{"jamila", "jamal", false},
		{"jamila", "camilla", false}, // two apart
		{"al", "ali", false},         // too short to say
	} {
		if got := near(tc.a, tc.b); got != tc.want {
			t.Errorf("near(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := near(tc.b, tc.a); got != tc.want {
			t.Errorf("near(%s, %s) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestNormalisePhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"07700 900982", "447700900982"},
		{"+44 7700 900982", "447700900982"},
		{"0044 (0)7700-900982", "4407700900982"},
		{"900982", "900982"},
		{"+1 202 555 0143", "12025550143"},
	} {
		if got := normalisePhone(tc.in); got != tc.want {
			t.Errorf("normalisePhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The key is made only of the class letters, is never longer than the
// word's letters can make, and is stable.
func FuzzPhonetic(f *testing.F) {
	for _, s := range []string{"Mohammed", "حسين", "Александр", "ተስፋዬ", "अमित", "김", "Siobhán", "x", "", "ŁÓDŹ", "dzh", "tch"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, w := range gate.NameTokens(s) {
			k := phonetic(w)
			if k != phonetic(w) {
				t.Fatalf("phonetic(%q) is not stable", w)
			}
			if strings.Trim(k, "AFHJKLMNPRSTX") != "" {
				t.Fatalf("phonetic(%q) = %q has letters outside the classes", w, k)
			}
			if n := utf8.RuneCountInString(w); len(k) > 3*n+1 {
				t.Fatalf("phonetic(%q) = %q is longer than its word allows", w, k)
			}
			if tk := typoKeys(w); len(tk) > 0 && tk[0] != w {
				t.Fatalf("typoKeys(%q) does not start with the word", w)
			}
		}
	})
}
