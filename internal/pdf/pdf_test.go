package pdf

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-text/typesetting/font"
)

// plan is a client's copy of a support plan of about two pages.
func plan() Document {
	d := Document{Title: "Your support plan", Lang: "en-GB", Blocks: []Block{
		Heading{Text: "Your support plan"},
		Table{Rows: []Row{
			{Key: "Name", Value: "جميلة عبد الله"},
			{Key: "Also known as", Value: "هاوڕێ"},
			{Key: "Your worker", Value: "Zofia Wiśniewska"},
			{Key: "Plan agreed", Value: "3 March 2026"},
			{Key: "Next review", Value: "3 June 2026"},
		}},
		Heading{Text: "What we agreed", Level: 2},
	}}
	goals := []string{
		"Find a safe place to live, away from the person who hurt you.",
		"Get help with money: benefits, a bank account in your own name, and the debts you were made to take on.",
		"See a counsellor every week, in Arabic, at a time that suits you.",
		"Appointment 12 with جميلة at 10:30 on Tuesdays.",
		"Keep in touch with ሰላማዊት ተስፋይ and Rojîn Amedî, who you asked us to involve.",
	}
	for i := range 3 {
		d.Blocks = append(d.Blocks,
			Heading{Text: fmt.Sprintf("Part %d", i+1), Level: 2},
			Paragraph{Text: "This plan is yours. It says what you want to happen, what we will do to help, and what you will do. You can ask us to change it at any time, and we will look at it again with you at the review. If something in it is wrong, tell your worker."},
			List{Items: goals},
			Paragraph{Text: "جميلة عبد الله — هذه خطتك. يمكنك أن تطلبي تغييرها في أي وقت. موعدك القادم يوم الثلاثاء الساعة 10:30."},
			List{Items: []string{"Step one", "Step two", "Step three"}, Numbered: true},
		)
	}
	d.Blocks = append(d.Blocks,
		Paragraph{Text: "By signing, you say you have read this plan, or had it read to you, and agree to it."},
		Signature{Label: "Your signature", DateLabel: "Date"},
		Signature{Label: "Worker's signature", DateLabel: "Date"},
	)
	return d
}

func TestRenderIsDeterministic(t *testing.T) {
	a, b := renderBytes(t, plan(), false), renderBytes(t, plan(), false)
	if !bytes.Equal(a, b) {
		t.Fatal("the same document rendered twice gave different bytes")
	}
	if !bytes.HasPrefix(a, []byte("%PDF-1.7\n")) || !bytes.HasSuffix(a, []byte("%%EOF\n")) {
		t.Fatal("not a PDF")
	}
}

func pageCount(pdf []byte) int { return bytes.Count(pdf, []byte("/Type /Page /")) }

// The metadata holds the generic title and nothing else about the document: no author,
// no subject, no dates, no identifier.
func TestMetadataHasNoPersonalData(t *testing.T) {
	pdf := renderBytes(t, plan(), false)
	info := regexp.MustCompile(`(?m)^\d+ 0 obj\n(<< (/Title <[0-9A-F]+> )?/Producer \(Caseward\) >>)\nendobj`).FindSubmatch(pdf)
	if info == nil {
		t.Fatal("no Info dictionary with only a Title and the Producer")
	}
	if want := pdfText("Your support plan"); string(info[2]) != "/Title "+want+" " {
		t.Errorf("Info = %s, want the title %s", info[1], want)
	}
	for _, s := range []string{"/Author", "/Subject", "/Keywords", "/CreationDate", "/ModDate", "/ID", "/Metadata"} {
		if bytes.Contains(pdf, []byte(s)) {
			t.Errorf("the PDF has %s", s)
		}
	}
	// The content streams are compressed, so no name may appear in clear outside them.
	for _, n := range names {
		if bytes.Contains(pdf, []byte(n.name)) || bytes.Contains(pdf, []byte(pdfText(n.name)[5:])) {
			t.Errorf("%s appears uncompressed in the PDF", n.script)
		}
	}
}

func TestEmptyAndOddDocuments(t *testing.T) {
	for _, d := range []Document{
		{},
		{Title: "  ", Lang: "not a tag!", Blocks: []Block{Paragraph{}, List{}, Table{}, Heading{}, Signature{}}},
		{Blocks: []Block{Paragraph{Text: "\x00\xff\r\n\t\u202e\u2067abc\u0301\U0001F600 "}}},
		{Blocks: []Block{Table{Rows: []Row{{Key: strings.Repeat("key ", 400), Value: strings.Repeat("جميلة ", 3000)}}}}},
		{Blocks: []Block{Paragraph{Text: strings.Repeat("x", 5000)}, Heading{Text: strings.Repeat("ሰላማዊት", 300)}}},
	} {
		pdf := renderBytes(t, d, false)
		if pageCount(pdf) < 1 {
			t.Errorf("%d pages", pageCount(pdf))
		}
	}
}

func TestPageBreaks(t *testing.T) {
	d := Document{Title: "Long"}
	for i := range 120 {
		d.Blocks = append(d.Blocks, Paragraph{Text: fmt.Sprintf("Paragraph %d of a long document.", i+1)})
	}
	d.Blocks = append(d.Blocks, Table{Rows: []Row{{Key: "Notes", Value: strings.Repeat("A long value that wraps. ", 600)}}})
	pdf := renderBytes(t, d, false)
	if n := pageCount(pdf); n < 4 {
		t.Fatalf("%d pages, want at least 4", n)
	}
	text := pdftotext(t, pdf)
	// The pages are numbered "n / N" at their foot (pdftotext drops the spaces).
	footer := regexp.MustCompile(`(?m)^(\d+) ?/ ?(\d+)$`)
	numbers := footer.FindAllStringSubmatch(text, -1)
	if len(numbers) != pageCount(pdf) || numbers[0][1] != "1" || numbers[len(numbers)-1][1] != numbers[0][2] {
		t.Errorf("page numbers %v for %d pages", numbers, pageCount(pdf))
	}
	body := strings.Join(strings.Fields(footer.ReplaceAllString(text, "")), " ")
	for _, s := range []string{"Paragraph 1 of", "Paragraph 120 of", "Notes"} {
		if !strings.Contains(body, s) {
			t.Errorf("the text lacks %q", s)
		}
	}
	if got, want := strings.Count(body, "A long value that wraps."), 600; got != want {
		t.Errorf("the split table row gives back %d of its %d sentences", got, want)
	}
}

func TestDirection(t *testing.T) {
	fs, err := newFaceSet()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang, text string
		rtl        bool
	}{
		{"en-GB", "Rojîn Amedî", false},
		{"en-GB", "هاوڕێ", true},
		{"en-GB", "12 جميلة", true}, // the first strong letter decides
		{"en-GB", "Appointment 12 with جميلة", false},
		{"en-GB", "12:30", false},
		{"ar", "12:30", true}, // no strong letter: the document's direction
		{"ckb", "12:30", true},
		{"ku-Arab", "12:30", true},
		{"ti", "12:30", false},
	} {
		lines := newShaper(fs, tc.lang).paragraph(tc.text, bodyStyle, contentWidth)
		if len(lines) != 1 || lines[0].rtl != tc.rtl {
			t.Errorf("%s %q: rtl = %v, want %v", tc.lang, tc.text, len(lines) == 1 && lines[0].rtl, tc.rtl)
		}
	}
}

// An Arabic line is drawn right to left: the first letter of the text is rightmost.
func TestArabicIsRightToLeft(t *testing.T) {
	fs, err := newFaceSet()
	if err != nil {
		t.Fatal(err)
	}
	l := newShaper(fs, "en").paragraph("جميلة عبد الله", bodyStyle, contentWidth)[0]
	var first, last float64 = -1, -1
	for _, r := range l.runs {
		x := r.x
		for _, g := range r.glyphs {
			switch g.text {
			case "ج":
				first = x
			case "هلل": // the ligature of "لله", stored in visual order
				last = x
			}
			x += g.adv
		}
	}
	if first < 0 || last < 0 || first <= last {
		t.Errorf("ج at %.1f, the ligature لله at %.1f: want ج to the right", first, last)
	}
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Rojîn", "Rojîn"},
		{"e\u0301", "é"}, // normal form C
		{"a\r\nb\rc", "a\nb\nc"},
		{"a\tb", "a b"},
		{"a\x00\x07b", "ab"},
		{"a\xffb", "a\uFFFDb"},
		{"a\u2028b", "a\nb"},
	} {
		if got := cleanText(tc.in); got != tc.want {
			t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The subset font draws every glyph as the full font does, composite glyphs included.
func TestSubsetKeepsOutlines(t *testing.T) {
	fonts, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []faceID{sansRegular, naskhRegular, ethiopicRegular} {
		fd := fonts[id]
		full := font.NewFace(fd.font)
		var gids []font.GID
		composite := 0
		for _, r := range "Zofia Wiśniewska Rojîn Amedî ÇŞ ǖ جميلة هاوڕێ ሰላማዊት ተስፋይ" {
			if g, ok := full.NominalGlyph(r); ok {
				gids = append(gids, g)
			}
		}
		for _, g := range gids {
			if len(components(fd.glyph(int(g)))) > 0 {
				composite++
			}
		}
		ttf, err := subsetFont(fd, gids)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := font.ParseTTF(bytes.NewReader(ttf))
		if err != nil {
			t.Fatalf("%s: the subset does not parse: %v", fd.name, err)
		}
		for i, g := range gids {
			want, _ := full.GlyphDataOutline(g)
			got, _ := sub.GlyphDataOutline(font.GID(i + 1))
			if fmt.Sprint(got.Segments) != fmt.Sprint(want.Segments) {
				t.Errorf("%s: glyph %d (subset %d) has a different outline", fd.name, g, i+1)
			}
			if sub.HorizontalAdvance(font.GID(i+1)) != full.HorizontalAdvance(g) {
				t.Errorf("%s: glyph %d has a different advance", fd.name, g)
			}
		}
		if len(ttf) >= len(fd.tables[tagGlyf]) {
			t.Errorf("%s: subset of %d glyphs is %d bytes", fd.name, len(gids), len(ttf))
		}
		t.Logf("%s: %d glyphs (%d composite) in %d bytes", fd.name, len(gids), composite, len(ttf))
	}
}

func TestConcurrentRenders(t *testing.T) {
	var wg sync.WaitGroup
	want := renderBytes(t, plan(), false)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b bytes.Buffer
			if err := Render(&b, plan()); err != nil || !bytes.Equal(b.Bytes(), want) {
				t.Errorf("a concurrent render differs (err %v)", err)
			}
		}()
	}
	wg.Wait()
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteErrorIsReturned(t *testing.T) {
	if err := Render(failingWriter{}, plan()); err == nil {
		t.Fatal("no error from a failing writer")
	}
}

func FuzzRender(f *testing.F) {
	for _, n := range names {
		f.Add(n.name, "ar")
	}
	f.Add(mixedLine, "en-GB")
	f.Add("\u202e\u2067\u0301\ufeff\x00\xff(]\u200d", "")
	f.Add("لا إله إلا الله مُحَمَّد", "ckb")
	f.Fuzz(func(t *testing.T, s, lang string) {
		d := Document{Title: s, Lang: lang, Blocks: []Block{
			Heading{Text: s}, Paragraph{Text: s}, List{Items: []string{s, s}, Numbered: true},
			Table{Rows: []Row{{Key: s, Value: s}}}, Signature{Label: s, DateLabel: s},
		}}
		if err := Render(io.Discard, d); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkRender renders the two-page plan.
func BenchmarkRender(b *testing.B) {
	d := plan()
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Render(&buf, d); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}
