package casework

import (
	"strings"
)

// This file makes the phonetic key that lets a search for "Mohammed" find
// "Muhammad", and "Hussein" find "Husain" or "حسين": spellings of one name
// that differ because it was transliterated from another script, or heard
// and written down by different people.
//
// The key is a consonant skeleton, in the spirit of Double Metaphone but
// much simpler and tuned for transliterated names rather than English
// words:
//
//  1. The word (already normalised: lower case, accents removed) is
//     transliterated to Latin letters: Cyrillic, Greek, Arabic script
//     (with the letters of Persian, Urdu, Pashto and Sorani Kurdish),
//     Hebrew, Armenian, Georgian, Ethiopic (Tigrinya, Amharic), the Indic
//     scripts that share Devanagari's layout (Devanagari, Bengali,
//     Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam) and
//     Hangul. Sounds that Latin spells in many ways are written as one
//     upper-case code at once (X for sh/ch, J for j/zh, H for kh and the
//     Arabic ḥ). Scripts with no table here (Han, kana, Thai…) give no key:
//     such names are still found by exact and prefix look-ups.
//  2. Vowels are dropped, except that a word starting with a vowel keeps
//     one "A" in front; y and w count as consonants only at the start of
//     a word, before a vowel.
//  3. Consonants fold into classes: b/p → P, d/t/th/dh → T, g/k/q/c/gh → K,
//     s/z/ts → S, f/v/ph → F, sh/ch/sch/sz/cz → X, j/zh/dj/dzh → J,
//     kh → H; an h is dropped at the end of a word.
//  4. Repeats of one class collapse when no vowel separates them
//     ("Jamilla" and "Jamila", "Mohammed" and "Muhammad"); scripts that do
//     not write short vowels get an inherent vowel where one is likely, so
//     that "Nino" and "Dawood" keep both their consonants.
//  5. A word that ends in a vowel sound (after a final h, and not counting
//     an English silent e) gets a final "A": Jamila is not Jamal, nor
//     Samira Samir. Omar and Amir still share a key: only vowels tell them
//     apart, and the key has none.
//
// Spelling variants the tests hold it to: Mohammed, Muhammad, Mohamed,
// Mohammad and محمد; Hussein, Husain, Hussain, Husayn and حسين; Yusuf,
// Youssef, Yousef, Joseph and يوسف; Aleksandr, Alexander, Oleksandr and
// Александр. Siobhán and Shevaun are too far apart, and stay apart.

// minPhoneticLength is the shortest key worth indexing: a one-letter key
// would match a large share of all names.
const minPhoneticLength = 2

// phonetic returns the phonetic key of one normalised word, or "" when the
// word has no letters the key can use.
func phonetic(word string) string {
	return skeleton(transliterate(word))
}

// transliterate writes word in lower-case Latin letters and the upper-case
// codes X, J, H and W (a w that is certainly a consonant). Letters it has
// no table for are dropped.
func transliterate(word string) []byte {
	rs := []rune(word)
	out := make([]byte, 0, len(word)+4)
	for i, r := range rs {
		first, last := len(out) == 0, i == len(rs)-1
		switch {
		case r >= 'a' && r <= 'z':
			out = append(out, byte(r))
		case r >= 'A' && r <= 'Z':
			out = append(out, byte(r-'A'+'a'))
		case r >= 0x0600 && r <= 0x06FF:
			out = appendArabic(out, r, first, last)
		case r >= 0x1100 && r <= 0x11FF:
			out = append(out, hangul(r)...)
		case r >= 0x1200 && r <= 0x137F:
			out = appendEthiopic(out, r)
		case r >= 0x0900 && r <= 0x0D7F:
			out = appendIndic(out, r, first, last)
		case first && r == 'י':
			out = append(out, 'J') // Hebrew yod starts a word as a consonant
		case first && r == 'ו':
			out = append(out, 'v') // and so does vav
		default:
			if s, ok := latinExtra[r]; ok {
				out = append(out, s...)
			} else {
				out = append(out, otherScripts[r]...)
			}
		}
	}
	return out
}

// latinExtra covers Latin letters that normalisation leaves as they are
// (they have no decomposition into a base letter and an accent).
var latinExtra = map[rune]string{
	'ł': "l", 'đ': "d", 'ð': "d", 'þ': "t", 'ø': "o", 'æ': "ae", 'œ': "oe",
	'ı': "i", 'ŋ': "n", 'ħ': "h", 'ə': "e", 'ɛ': "e", 'ɔ': "o", 'ƙ': "k",
	'ɓ': "b", 'ɗ': "d", 'ƴ': "y", 'ʃ': "X", 'ʒ': "J", 'ŧ': "t", 'ɲ': "n",
	'ŀ': "l", 'ĸ': "k", 'ɣ': "g", 'ʋ': "v",
}

// otherScripts are the alphabets that map letter by letter: Cyrillic,
// Greek, Hebrew, Armenian and Georgian (in the lower case Normalise gives).
var otherScripts = map[rune]string{
	// Cyrillic (Russian, Ukrainian, Belarusian, Serbian, Macedonian,
	// Bulgarian). й, ё, ї and ў arrive without their marks.
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "J",
	'з': "z", 'и': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o",
	'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "H",
	'ц': "ts", 'ч': "X", 'ш': "X", 'щ': "X", 'ъ': "", 'ы': "y", 'ь': "",
	'э': "e", 'ю': "yu", 'я': "ya", 'і': "i", 'є': "ye", 'ґ': "g", 'ђ': "J",
	'ј': "j", 'љ': "l", 'њ': "n", 'ћ': "X", 'џ': "J", 'ѕ': "dz", 'ѓ': "g",
	'ќ': "k",
	// Greek.
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i",
	'θ': "t", 'ι': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x",
	'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "i",
	'φ': "f", 'χ': "H", 'ψ': "ps", 'ω': "o",
	// Hebrew (yod and vav at the start of a word: see transliterate).
	'א': "a", 'ב': "v", 'ג': "g", 'ד': "d", 'ה': "h", 'ו': "u", 'ז': "z",
	'ח': "H", 'ט': "t", 'י': "i", 'כ': "k", 'ך': "k", 'ל': "l", 'מ': "m",
	'ם': "m", 'נ': "n", 'ן': "n", 'ס': "s", 'ע': "a", 'פ': "p", 'ף': "f",
	'צ': "ts", 'ץ': "ts", 'ק': "q", 'ר': "r", 'ש': "X", 'ת': "t",
	// Armenian.
	'ա': "a", 'բ': "b", 'գ': "g", 'դ': "d", 'ե': "e", 'զ': "z", 'է': "e",
	'ը': "e", 'թ': "t", 'ժ': "J", 'ի': "i", 'լ': "l", 'խ': "H", 'ծ': "ts",
	'կ': "k", 'հ': "h", 'ձ': "dz", 'ղ': "g", 'ճ': "X", 'մ': "m", 'յ': "y",
	'ն': "n", 'շ': "X", 'ո': "o", 'չ': "X", 'պ': "p", 'ջ': "J", 'ռ': "r",
	'ս': "s", 'վ': "v", 'տ': "t", 'ր': "r", 'ց': "ts", 'ւ': "u", 'փ': "p",
	'ք': "k", 'օ': "o", 'ֆ': "f",
	// Georgian (Mkhedruli).
	'ა': "a", 'ბ': "b", 'გ': "g", 'დ': "d", 'ე': "e", 'ვ': "v", 'ზ': "z",
	'თ': "t", 'ი': "i", 'კ': "k", 'ლ': "l", 'მ': "m", 'ნ': "n", 'ო': "o",
	'პ': "p", 'ჟ': "J", 'რ': "r", 'ს': "s", 'ტ': "t", 'უ': "u", 'ფ': "p",
	'ქ': "k", 'ღ': "g", 'ყ': "q", 'შ': "X", 'ჩ': "X", 'ც': "ts", 'ძ': "dz",
	'წ': "ts", 'ჭ': "X", 'ხ': "H", 'ჯ': "J", 'ჰ': "h",
}

// arabic maps the letters of the Arabic script. Short vowels are marks,
// which normalisation removed; hamza seats arrive as their base letters.
var arabic = map[rune]string{
	'ا': "a", 'ء': "a", 'ع': "a", 'ى': "a", 'ة': "a", 'ە': "e", 'ے': "e",
	'ێ': "e", 'ۆ': "o", 'ب': "b", 'پ': "p", 'ت': "t", 'ث': "t", 'ٹ': "t",
	'ټ': "t", 'ج': "J", 'چ': "X", 'ح': "H", 'خ': "H", 'د': "d", 'ذ': "d",
	'ڈ': "d", 'ډ': "d", 'ر': "r", 'ڑ': "r", 'ړ': "r", 'ڕ': "r", 'ز': "z",
	'ژ': "J", 'ږ': "J", 'س': "s", 'ش': "X", 'ښ': "X", 'ص': "s", 'ض': "d",
	'ط': "t", 'ظ': "z", 'غ': "g", 'ف': "f", 'ڤ': "v", 'ق': "q", 'ك': "k",
	'ک': "k", 'گ': "g", 'ل': "l", 'ڵ': "l", 'م': "m", 'ن': "n", 'ں': "n",
	'ڼ': "n", 'ه': "h", 'ہ': "h", 'ھ': "h", 'ۂ': "h", 'ځ': "z", 'څ': "ts",
}

func appendArabic(out []byte, r rune, first, last bool) []byte {
	switch r {
	case 'ه', 'ہ', 'ە':
		if last && !first {
			return append(out, 'a') // Abdullah, Fatemeh: a final vowel
		}
	case 'و':
		// A consonant at the start of a word (Walid), else a long vowel.
		if first {
			return append(out, 'W')
		}
		return append(out, 'u')
	case 'ي', 'ی', 'ې', 'ۍ', 'ئ':
		if first {
			return append(out, 'J') // Yusuf
		}
		return append(out, 'i')
	}
	return append(out, arabic[r]...)
}

// ethiopicRows gives the consonant of each row of eight syllables in the
// Ethiopic block, from U+1200 (Tigrinya, Amharic). "" marks the rows of
// the glottal and pharyngeal carriers, which only carry a vowel.
var ethiopicRows = [...]string{
	"h", "l", "H", "m", "s", "r", "s", "X", "q", "q", "q", "q", "b", "v", "t", "X",
	"H", "H", "n", "n", "", "k", "k", "H", "H", "w", "", "z", "J", "y", "d", "d",
	"J", "g", "g", "g", "t", "X", "p", "ts", "ts", "f", "p",
}

// ethiopicVowels is the vowel of each of a row's eight orders; the sixth
// order has none.
var ethiopicVowels = [8]string{"e", "u", "i", "a", "e", "", "o", "a"}

func appendEthiopic(out []byte, r rune) []byte {
	n := int(r - 0x1200)
	row := n / 8
	if row >= len(ethiopicRows) {
		return out
	}
	return append(append(out, ethiopicRows[row]...), ethiopicVowels[n%8]...)
}

// indicLetters maps the offset of a letter within its block, shared by
// every script laid out like Devanagari (U+0900, U+0980 Bengali, U+0A00
// Gurmukhi, U+0A80 Gujarati, U+0B00 Oriya, U+0B80 Tamil, U+0C00 Telugu,
// U+0C80 Kannada, U+0D00 Malayalam). Vowel signs and the virama are marks
// and arrive removed.
var indicLetters = map[int]string{
	0x05: "a", 0x06: "a", 0x07: "i", 0x08: "i", 0x09: "u", 0x0A: "u", 0x0B: "ri",
	0x0C: "li", 0x0D: "e", 0x0E: "e", 0x0F: "e", 0x10: "ai", 0x11: "o", 0x12: "o",
	0x13: "o", 0x14: "au",
	0x15: "k", 0x16: "kh", 0x17: "g", 0x18: "gh", 0x19: "n", 0x1A: "X", 0x1B: "X",
	0x1C: "J", 0x1D: "J", 0x1E: "n", 0x1F: "t", 0x20: "t", 0x21: "d", 0x22: "d",
	0x23: "n", 0x24: "t", 0x25: "t", 0x26: "d", 0x27: "d", 0x28: "n", 0x29: "n",
	0x2A: "p", 0x2B: "ph", 0x2C: "b", 0x2D: "bh", 0x2E: "m", 0x2F: "y", 0x30: "r",
	0x31: "r", 0x32: "l", 0x33: "l", 0x34: "l", 0x35: "v", 0x36: "X", 0x37: "X",
	0x38: "s", 0x39: "h", 0x60: "ri", 0x61: "li",
}

func appendIndic(out []byte, r rune, first, last bool) []byte {
	off := int(r-0x0900) % 0x80
	if off == 0x2F && first {
		return append(out, 'J') // य at the start of a word is a consonant (Yash)
	}
	out = append(out, indicLetters[off]...)
	if off >= 0x15 && off <= 0x39 && !last {
		// The vowel signs are gone; write the inherent vowel, so that two
		// consonants of one class are not taken for one doubled (ममता,
		// Mamta), except at the end, where Hindi does not say it (राम, Ram).
		out = append(out, 'a')
	}
	return out
}

// hangul transliterates the conjoining jamo that normalisation (NFKD)
// splits Korean syllables into, after Revised Romanisation; every vowel
// is written "a", which is all the key needs.
func hangul(r rune) string {
	switch {
	case r >= 0x1100 && r <= 0x1112:
		return [...]string{"g", "k", "n", "d", "t", "r", "m", "b", "b", "s", "s", "", "J", "J", "X", "k", "t", "p", "h"}[r-0x1100]
	case r >= 0x1161 && r <= 0x1175:
		return "a"
	case r >= 0x11A8 && r <= 0x11C2:
		return [...]string{"k", "k", "ks", "n", "nJ", "n", "t", "l", "lk", "lm", "lp", "ls", "lt", "lp", "l", "m", "p", "ps", "t", "t", "ng", "t", "t", "k", "t", "p", "h"}[r-0x11A8]
	}
	return ""
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

// skeleton turns the transliteration into the key (steps 2 to 4 above).
func skeleton(s []byte) string {
	var out strings.Builder
	var last byte // the last class written
	emit := func(c byte) {
		if c != last {
			out.WriteByte(c)
			last = c
		}
	}
	// A vowel between two consonants of one class keeps both: Nino, Dawood.
	vowel := func() { last = 0 }
	at := func(i int) byte {
		if i >= 0 && i < len(s) {
			return s[i]
		}
		return 0
	}
	for i := 0; i < len(s); i++ {
		c, next := s[i], at(i+1)
		switch c {
		case 'a', 'e', 'i', 'o', 'u':
			switch {
			case i > 0:
				vowel()
			case c == 'i' && isVowel(next):
				emit('J') // Iosif, Ioana, Iulia sound as Yosif, Yoana, Yulia
			default:
				emit('A')
			}
		case 'y':
			switch {
			case i > 0:
				vowel()
			case isVowel(next):
				emit('J')
			default:
				emit('A')
			}
		case 'w':
			// At the start of a word a consonant (Walid, Wladimir, Whitney),
			// except before r (Wright); elsewhere part of a vowel (Dawood).
			switch {
			case i > 0:
				vowel()
			case next != 'r':
				emit('F')
				if next == 'h' {
					i++
				}
			}
		case 'W':
			emit('F')
		case 'h', 'H':
			if i < len(s)-1 {
				emit('H')
			}
		case 'b', 'p':
			if c == 'p' && next == 'h' {
				emit('F')
				i++
			} else {
				emit('P')
			}
		case 'c':
			switch {
			case next == 'h':
				if r := at(i + 2); r == 'r' || r == 'l' {
					emit('K') // Christopher, Chloe
				} else {
					emit('X')
				}
				i++
			case next == 'z':
				emit('X')
				i++
			case next == 'k':
				emit('K')
				i++
			case next == 'e' || next == 'i' || next == 'y':
				emit('S')
			default:
				emit('K')
			}
		case 'd':
			switch {
			case next == 'j':
				emit('J')
				i++
			case next == 'z' && at(i+2) == 'h':
				emit('J')
				i += 2
			case next == 'z':
				emit('J')
				i++
			case next == 'J' || next == 'X':
				// dʒ, as Cyrillic дж: the d is part of the code that follows.
			case next == 'h':
				emit('T')
				i++
			default:
				emit('T')
			}
		case 't':
			switch {
			case next == 'h':
				emit('T')
				i++
			case next == 'c' && at(i+2) == 'h':
				emit('X')
				i += 2
			case next == 's' || next == 'z':
				emit('S')
				i++
			case next == 'X' || next == 'J':
				// tʃ: the t is part of the code that follows.
			default:
				emit('T')
			}
		case 'f', 'v':
			emit('F')
		case 'g':
			switch {
			case next == 'h' && at(i+2) == 't':
				i++ // Wright, Knight: the gh is silent
			case next == 'h':
				emit('K')
				i++
			default:
				emit('K')
			}
		case 'k':
			if i == 0 && next == 'n' {
				break // Knight
			}
			if next == 'h' {
				emit('H')
				i++
			} else {
				emit('K')
			}
		case 'q':
			emit('K')
		case 'j', 'J':
			emit('J')
		case 'l':
			emit('L')
		case 'm':
			emit('M')
		case 'n':
			emit('N')
		case 'r':
			emit('R')
		case 's':
			switch {
			case next == 'c' && at(i+2) == 'h':
				emit('X')
				i += 2
			case next == 'h' || next == 'z' || next == 'j':
				emit('X')
				i++
			default:
				emit('S')
			}
		case 'x':
			emit('K')
			emit('S')
		case 'X':
			emit('X')
		case 'z':
			if next == 'h' {
				emit('J')
				i++
			} else {
				emit('S')
			}
		}
	}
	if vowelEnding(s) {
		// A final vowel tells Jamila from Jamal, Samira from Samir.
		out.WriteByte('A')
	}
	return out.String()
}

// vowelEnding reports whether the transliterated word ends in a vowel
// sound: after a final h (Fatimah, Sarah), and not counting an English
// silent e after a consonant (Catherine, Alexandre).
func vowelEnding(s []byte) bool {
	for len(s) > 1 && (s[len(s)-1] == 'h' || s[len(s)-1] == 'H') {
		s = s[:len(s)-1]
	}
	n := len(s)
	if n > 2 && s[n-1] == 'e' && !isVowel(s[n-2]) && s[n-2] != 'y' && s[n-2] != 'w' {
		return false
	}
	if n < 2 {
		return false // a lone vowel already made the key's leading A
	}
	switch s[n-1] {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}
