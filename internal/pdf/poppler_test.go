package pdf

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/names.png from the current rendering (then look at it)")

// The names the client's copy must render and give back, one per script.
var names = []struct{ script, name string }{
	{"Sorani Kurdish", "هاوڕێ"},
	{"Arabic", "جميلة عبد الله"},
	{"Tigrinya", "ሰላማዊት ተስፋይ"},
	{"Kurmanji", "Rojîn Amedî"},
	{"Polish", "Zofia Wiśniewska"},
}

const mixedLine = "Appointment 12 with جميلة at 10:30"

// needTool returns the path of a poppler tool, skipping the test if it is not installed,
// except under CI=true, where every test must run (.ci/run installs poppler-utils).
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (apt-get install poppler-utils)", name)
		}
		t.Skipf("%s is not installed (apt-get install poppler-utils): skipping", name)
	}
	return path
}

// pdfText runs pdftotext (with extra arguments) on a PDF and returns the text.
func pdftotext(t *testing.T, pdf []byte, args ...string) string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, append(append(args, "-enc", "UTF-8"), in, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// pdftotext wraps right-to-left text in embedding marks (U+202B … U+202C) of its own.
	return strings.Map(func(r rune) rune {
		if r >= '\u202a' && r <= '\u202e' {
			return -1
		}
		return r
	}, string(out))
}

func renderBytes(t testing.TB, d Document, unshaped bool) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := render(&b, d, unshaped); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTextComesBack checks that each name, in every script, can be copied back out of
// the PDF exactly: pdftotext returns it whole, as its own line, in logical order.
func TestTextComesBack(t *testing.T) {
	d := Document{Title: "Your support plan", Lang: "en-GB"}
	for _, n := range names {
		d.Blocks = append(d.Blocks, Paragraph{Text: n.name})
	}
	d.Blocks = append(d.Blocks,
		Paragraph{Text: mixedLine},
		Table{Rows: []Row{{Key: "Name", Value: "جميلة عبد الله"}}},
	)
	pdf := renderBytes(t, d, false)

	lines := map[string]bool{}
	text := pdftotext(t, pdf)
	for _, l := range strings.Split(text, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, n := range names {
		if !lines[n.name] {
			t.Errorf("%s: pdftotext did not give back %q as a line; got:\n%s", n.script, n.name, text)
		}
	}

	// The mixed line comes back exactly in content order (-raw): the PDF draws each line
	// in logical order. (pdftotext's default mode reorders by position with a simple
	// rule that moves the space after "جميلة" before it; the words are all there.)
	raw := pdftotext(t, pdf, "-raw")
	if !strings.Contains(raw, mixedLine+"\n") {
		t.Errorf("pdftotext -raw did not give back %q; got:\n%s", mixedLine, raw)
	}
	for _, w := range strings.Fields(mixedLine) {
		if !strings.Contains(text, w) {
			t.Errorf("pdftotext lost %q of the mixed line; got:\n%s", w, text)
		}
	}
}

// The reference page: the names and the mixed line, in bold headings and regular text.
func namesPage() Document {
	d := Document{Title: "Test page", Lang: "en-GB"}
	for _, n := range names {
		d.Blocks = append(d.Blocks, Heading{Text: n.name}, Paragraph{Text: n.name})
	}
	d.Blocks = append(d.Blocks, Heading{Text: mixedLine, Level: 2}, Paragraph{Text: mixedLine})
	return d
}

// rasterise renders the first page of a PDF at 72 dpi.
func rasterise(t *testing.T, pdf []byte) image.Image {
	t.Helper()
	tool := needTool(t, "pdftoppm")
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-r", "72", "-png", "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// difference is the share of the inked pixels (dark in either image) whose grey levels
// differ by more than a quarter of the range. Images of different sizes differ wholly.
func difference(a, b image.Image) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	grey := func(img image.Image, x, y int) int {
		r, g, bl, _ := img.At(x, y).RGBA()
		return int((r + g + bl) / 3 >> 8)
	}
	var inked, differ int
	bd := a.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			ga, gb := grey(a, x, y), grey(b, x, y)
			if ga < 192 || gb < 192 {
				inked++
				if d := ga - gb; d > 64 || d < -64 {
					differ++
				}
			}
		}
	}
	if inked == 0 {
		return 0
	}
	return float64(differ) / float64(inked)
}

// tolerance is the share of inked pixels that may differ from the reference: room for
// anti-aliasing differences between poppler builds, far below what misordered or
// unjoined letters change (see TestReferenceCatchesUnshapedText).
const tolerance = 0.01

const reference = "testdata/names.png"

// TestRenderedPage compares the rendered names page with the reference image, which a
// person checked when it was made: the Arabic and Sorani letters joined and right to
// left, the Ethiopic syllables whole, the Latin accents in place. To remake it after a
// deliberate change: go test ./internal/pdf -run TestRenderedPage -update, then look at
// testdata/names.png before committing it.
func TestRenderedPage(t *testing.T) {
	got := rasterise(t, renderBytes(t, namesPage(), false))
	if *update {
		f, err := os.Create(reference)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, got); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: look at it", reference)
		return
	}
	want := readPNG(t, reference)
	if d := difference(got, want); d > tolerance {
		t.Errorf("the names page differs from %s in %.1f%% of its inked pixels (tolerance %.1f%%)", reference, 100*d, 100*tolerance)
	}
}

// TestReferenceCatchesUnshapedText shows the comparison would catch broken text: the same
// page drawn without shaping or bidi (each letter's isolated form, left to right) is
// far from the reference.
func TestReferenceCatchesUnshapedText(t *testing.T) {
	want := readPNG(t, reference)
	got := rasterise(t, renderBytes(t, namesPage(), true))
	d := difference(got, want)
	t.Logf("unshaped page differs in %.1f%% of inked pixels", 100*d)
	if d < 10*tolerance {
		t.Errorf("the unshaped page differs from the reference in only %.1f%% of its inked pixels: the comparison is too lax", 100*d)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (make it with -update)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
