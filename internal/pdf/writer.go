package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/go-text/typesetting/font"
)

// objWriter writes numbered PDF objects and the cross-reference table.
type objWriter struct {
	buf     bytes.Buffer
	offsets []int // offsets[n] is where object n starts; offsets[0] is unused
	z       bytes.Buffer
	zw      *zlib.Writer // reused: a compressor is large to make
}

func newObjWriter() *objWriter {
	w := &objWriter{offsets: []int{0}}
	// A comment of bytes above 127 marks the file as binary for transfer programs.
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return w
}

// alloc reserves the next object number.
func (w *objWriter) alloc() int {
	w.offsets = append(w.offsets, -1)
	return len(w.offsets) - 1
}

// object writes object n with the given body (a dictionary, array or other value).
func (w *objWriter) object(n int, body string) {
	w.offsets[n] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

// stream writes object n as a stream, Flate-compressed, with extra dictionary entries.
func (w *objWriter) stream(n int, extra string, data []byte) {
	w.z.Reset()
	if w.zw == nil {
		w.zw = zlib.NewWriter(&w.z)
	} else {
		w.zw.Reset(&w.z)
	}
	w.zw.Write(data) // writes to a bytes.Buffer do not fail
	w.zw.Close()
	w.offsets[n] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< /Length %d /Filter /FlateDecode%s >>\nstream\n", n, w.z.Len(), extra)
	w.buf.Write(w.z.Bytes())
	w.buf.WriteString("\nendstream\nendobj\n")
}

// finish writes the cross-reference table and the trailer.
func (w *objWriter) finish(root, info int) {
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets))
	for _, off := range w.offsets[1:] {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", max(off, 0))
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n",
		len(w.offsets), root, info, xref)
}

// cidKey is a glyph drawn for a piece of text. The same glyph drawn for two texts (a
// space and a no-break space, say) gets two CIDs, so that each copies back exactly.
type cidKey struct {
	gid  font.GID
	text string
}

// fontUse records the glyphs of one face a document draws. CID n (from 1) draws
// glyphs[n-1]; the embedded subset puts that glyph at glyph index n.
type fontUse struct {
	id     faceID
	res    string // resource name, F1 …
	obj    int    // the Type0 font object
	cids   map[cidKey]uint16
	glyphs []cidKey
}

// maxCIDs bounds the CIDs of one font (two bytes each in Identity-H, 0 is .notdef).
const maxCIDs = 0xFFFE

// cid returns the CID drawing gid for text, allocating one on first use.
func (u *fontUse) cid(gid font.GID, text string) uint16 {
	k := cidKey{gid, text}
	if c, ok := u.cids[k]; ok {
		return c
	}
	if len(u.glyphs) >= maxCIDs {
		// Out of CIDs (only a pathological document gets here): reuse one that draws
		// the same glyph, giving up its exact text.
		for i, g := range u.glyphs {
			if g.gid == gid {
				return uint16(i + 1)
			}
		}
		return 0
	}
	u.glyphs = append(u.glyphs, k)
	c := uint16(len(u.glyphs))
	u.cids[k] = c
	return c
}

// writeFont writes the Type0 font of one face: the CIDFont, its descriptor, the subset
// font program, the widths and the ToUnicode map.
func (w *objWriter) writeFont(u *fontUse, fd *fontData, face *font.Face) error {
	gids := make([]font.GID, len(u.glyphs))
	for i, g := range u.glyphs {
		gids[i] = g.gid
	}
	program, err := subsetFont(fd, gids)
	if err != nil {
		return err
	}
	// The subset tag is derived from the glyphs, so that the same document gives the
	// same bytes (no random or time-based fingerprint).
	sum := sha256.Sum256(program)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	name := string(tag) + "+" + fd.name
	scale := 1000 / fd.upem

	cidFont, desc, file, toUni := w.alloc(), w.alloc(), w.alloc(), w.alloc()
	w.object(u.obj, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
		name, cidFont, toUni))

	var widths strings.Builder
	widths.WriteString("[1 [")
	for i, g := range u.glyphs {
		if i > 0 {
			widths.WriteByte(' ')
		}
		widths.WriteString(num(float64(face.HorizontalAdvance(g.gid)) * scale))
	}
	widths.WriteString("]]")
	w.object(cidFont, fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 0 /W %s /CIDToGIDMap /Identity >>",
		name, desc, widths.String()))

	stemV := 80
	if fd.bold {
		stemV = 140
	}
	b := fd.bbox
	w.object(desc, fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%s %s %s %s] /ItalicAngle 0 /Ascent %s /Descent %s /CapHeight %s /StemV %d /FontFile2 %d 0 R >>",
		name, num(float64(b[0])*scale), num(float64(b[1])*scale), num(float64(b[2])*scale), num(float64(b[3])*scale),
		num(float64(fd.ascent)*scale), num(float64(fd.descent)*scale), num(float64(fd.capHeight)*scale), stemV, file))
	w.stream(file, fmt.Sprintf(" /Length1 %d", len(program)), program)
	w.stream(toUni, "", toUnicode(u.glyphs))
	return nil
}

// toUnicode writes the CMap giving each CID's text back, so that the PDF can be searched
// and copied from. A CID whose glyph is part of a cluster drawn by another glyph maps to
// nothing.
func toUnicode(glyphs []cidKey) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	type entry struct {
		cid  int
		text string
	}
	var entries []entry
	for i, g := range glyphs {
		if g.text != "" {
			entries = append(entries, entry{i + 1, g.text})
		}
	}
	for chunk := range slices.Chunk(entries, 100) {
		fmt.Fprintf(&b, "%d beginbfchar\n", len(chunk))
		for _, e := range chunk {
			fmt.Fprintf(&b, "<%04X> <", e.cid)
			units := utf16.Encode([]rune(e.text))
			if len(units) > 256 { // the limit on a destination string (512 bytes)
				units = units[:256]
			}
			for _, u := range units {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

// num formats a number for a PDF: at most two decimals, no trailing zeros, no "-0".
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

// pdfText encodes a string as a PDF text string: UTF-16BE with a byte order mark, in hex.
func pdfText(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}
