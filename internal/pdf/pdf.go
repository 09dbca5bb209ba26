// Package pdf writes the client's copy of documents (support plans, agreements) as
// PDF, in pure Go, in any script a client's name may be written in: Latin (Polish,
// Kurmanji …), Arabic script (Arabic, Sorani Kurdish …) joined and right to left, also
// mixed with Latin and digits on one line, and Ethiopic (Tigrinya, Amharic).
//
// Text is split into runs by direction (the Unicode bidirectional algorithm), script and
// font, shaped with HarfBuzz (github.com/go-text/typesetting), wrapped at word
// boundaries and laid out on A4 pages. A paragraph whose first strong letter is right to
// left is right-aligned and ordered right to left. Glyphs are drawn by glyph id from
// embedded subsets of the Noto fonts (Type0/CIDFontType2, Identity-H), with a ToUnicode
// map from each glyph back to its source text (joined forms and ligatures included), so
// the text can be copied and searched.
//
// The fonts are embedded in the binary (see fonts/OFL.txt and scripts/update-fonts.sh);
// nothing is read from the system. The output is deterministic: the same Document gives
// the same bytes, with no creation date or random identifier.
//
// The embedded faces cover Latin (with Vietnamese and the African and European
// extensions), Greek, Cyrillic, Arabic script and Ethiopic. Text in another script
// (Hebrew, Chinese, Bengali …) is drawn as empty boxes, though it still copies back as
// itself; to cover one, add its Noto face to scripts/update-fonts.sh and fonts.go.
//
// A Document's Title is the PDF's metadata title, which viewers show in their title bar
// and file lists: keep it generic ("Your support plan"), never a client's name. The PDF
// itself is the client's personal data: send it with Cache-Control: no-store and a
// generic file name, and if it must be kept, seal it like any other client file.
//
// The PDF is not tagged (no structure tree for screen readers); its text is written in
// reading order, so assistive tools that read untagged PDFs get the words in order.
package pdf

import (
	"fmt"
	"io"
	"strings"
)

// Document is a PDF to render: its generic title and its content, top to bottom.
type Document struct {
	// Title is the document's metadata title, shown by viewers in the title bar. It must
	// be a fixed phrase such as "Your support plan", never personal data.
	Title string
	// Lang is the BCP 47 language of the document ("en-GB", "ar", "ckb"): it is recorded
	// for screen readers, guides shaping, and makes paragraphs with no strong letter
	// (only digits, say) right to left when the language is.
	Lang string
	// Blocks are the content: Heading, Paragraph, List, Table and Signature values.
	Blocks []Block
}

// Block is one piece of a Document's content: a Heading, Paragraph, List, Table or
// Signature.
type Block interface {
	block()
}

// Heading is a heading, drawn bold. Headings are kept with the line that follows them.
type Heading struct {
	Text  string
	Level int // 1 (or 0) is the largest; 2 and more are smaller
}

// Paragraph is a paragraph of text, wrapped at word boundaries; "\n" starts a new line.
type Paragraph struct {
	Text string
}

// List is a bulleted list, or a numbered one. The bullet or number of an item whose
// text is right to left is on the right.
type List struct {
	Items    []string
	Numbered bool
}

// Table is a two-column table of labels and values, such as the particulars of a plan.
// The labels are on the left, or on the right in a right-to-left Document; each cell is
// aligned by the direction of its own text.
type Table struct {
	Rows []Row
}

// Row is one row of a Table: a label, drawn bold, and its value.
type Row struct {
	Key, Value string
}

// Signature is a line to sign on, with Label below it ("Client's signature"), and, if
// DateLabel is not empty, a shorter line beside it for the date.
type Signature struct {
	Label, DateLabel string
}

func (Heading) block()   {}
func (Paragraph) block() {}
func (List) block()      {}
func (Table) block()     {}
func (Signature) block() {}

// Render writes d as a PDF to w. Any text is accepted: invalid UTF-8 is replaced and
// control characters are dropped; a character no embedded font has is drawn as an empty
// box but still copies as itself. The error is a write error or, if the embedded fonts
// are broken, a font error.
func Render(w io.Writer, d Document) error {
	return render(w, d, false)
}

// render renders d; unshaped (for tests only) draws text without shaping or bidi.
func render(w io.Writer, d Document, unshaped bool) error {
	fs, err := newFaceSet()
	if err != nil {
		return err
	}
	r := newRenderer(fs, d.Lang)
	r.sh.unshaped = unshaped
	for _, b := range d.Blocks {
		r.block(b)
	}
	out, err := r.finish(d)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("pdf: write: %w", err)
	}
	return nil
}

// finish writes the PDF objects: catalog, pages, fonts and metadata.
func (r *renderer) finish(d Document) ([]byte, error) {
	r.footers()
	w := r.w
	catalog, pagesObj, info, resources := w.alloc(), w.alloc(), w.alloc(), w.alloc()
	kids := make([]string, len(r.pages))
	for i, content := range r.pages {
		page, stream := w.alloc(), w.alloc()
		w.stream(stream, "", content.Bytes())
		w.object(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources %d 0 R /Contents %d 0 R >>",
			pagesObj, num(pageWidth), num(pageHeight), resources, stream))
		kids[i] = fmt.Sprintf("%d 0 R", page)
	}
	w.object(pagesObj, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))

	var fonts strings.Builder
	for _, u := range r.uses {
		if u == nil {
			continue
		}
		fmt.Fprintf(&fonts, " /%s %d 0 R", u.res, u.obj)
		if err := w.writeFont(u, r.fs.data[u.id], r.fs.faces[u.id]); err != nil {
			return nil, err
		}
	}
	w.object(resources, fmt.Sprintf("<< /Font <<%s >> >>", fonts.String()))

	lang := ""
	if validLang(d.Lang) {
		lang = " /Lang (" + d.Lang + ")"
	}
	w.object(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /ViewerPreferences << /DisplayDocTitle true >>%s >>", pagesObj, lang))
	title := ""
	if t := strings.TrimSpace(strings.ReplaceAll(cleanText(d.Title), "\n", " ")); t != "" {
		title = "/Title " + pdfText(t) + " "
	}
	w.object(info, fmt.Sprintf("<< %s/Producer (Caseward) >>", title))
	w.finish(catalog, info)
	return w.buf.Bytes(), nil
}

// validLang reports whether s looks like a BCP 47 tag: letters, digits and hyphens.
func validLang(s string) bool {
	if s == "" || len(s) > 35 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
