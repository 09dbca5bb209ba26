package pdf

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/go-text/typesetting/di"
)

// Page geometry, in points (1/72 inch): A4 with 20 mm margins.
const (
	pageWidth    = 595.276
	pageHeight   = 841.89
	margin       = 56.693
	contentWidth = pageWidth - 2*margin
	footerY      = 28.0 // baseline of the page number, from the bottom edge
)

// Type sizes and spacing, in points.
var (
	bodyStyle     = textStyle{size: 11}
	labelStyle    = textStyle{size: 11, bold: true}
	smallStyle    = textStyle{size: 9}
	headingStyles = [...]textStyle{{size: 18, bold: true}, {size: 14, bold: true}}
)

const (
	paragraphGap = 8.0
	headingAbove = 14.0
	headingBelow = 6.0
	listIndent   = 16.0
	cellPadding  = 5.0
	keyFraction  = 0.35 // share of a table's width for the labels
)

// renderer lays out blocks onto pages and writes their content streams.
type renderer struct {
	fs    *faceSet
	sh    *shaper
	w     *objWriter
	uses  [numFaces]*fontUse
	nUses int
	pages []*bytes.Buffer
	cur   *bytes.Buffer
	y     float64 // from the top edge: where the next block starts
	fresh bool    // nothing drawn on the current page yet
}

func newRenderer(fs *faceSet, lang string) *renderer {
	r := &renderer{fs: fs, sh: newShaper(fs, lang), w: newObjWriter()}
	r.newPage()
	return r
}

func (r *renderer) newPage() {
	r.cur = &bytes.Buffer{}
	r.pages = append(r.pages, r.cur)
	r.y = margin
	r.fresh = true
}

// bottom is the lowest point (from the top edge) content may reach.
const bottom = pageHeight - margin

// room makes sure h points fit below y, starting a new page if not (unless the page is
// still empty: then the content goes there anyway, and is clipped by the page).
func (r *renderer) room(h float64) {
	if r.y+h > bottom && !r.fresh {
		r.newPage()
	}
}

// gap adds vertical space, except at the top of a page.
func (r *renderer) gap(h float64) {
	if !r.fresh {
		r.y += h
	}
}

func (r *renderer) block(b Block) {
	switch b := b.(type) {
	case Heading:
		st := headingStyles[0]
		if b.Level > 1 {
			st = headingStyles[1]
		}
		lines := r.sh.paragraph(b.Text, st, contentWidth)
		r.gap(headingAbove)
		// Keep the heading with the first line of what follows.
		r.room(height(lines) + headingBelow + 1.45*bodyStyle.size)
		r.lines(lines, margin, contentWidth)
		r.y += headingBelow
	case Paragraph:
		r.lines(r.sh.paragraph(b.Text, bodyStyle, contentWidth), margin, contentWidth)
		r.y += paragraphGap
	case List:
		for i, item := range b.Items {
			label := "•"
			if b.Numbered {
				label = strconv.Itoa(i+1) + "."
			}
			r.listItem(label, item)
		}
		r.y += paragraphGap - 3
	case Table:
		r.table(b.Rows)
		r.y += paragraphGap
	case Signature:
		r.signature(b)
	}
}

// height is the height of lines stacked.
func height(lines []line) float64 {
	h := 0.0
	for _, l := range lines {
		h += l.ascent + l.descent
	}
	return h
}

// lines draws lines one below the other in the column [x, x+width], each aligned to
// the start of its own direction, breaking pages between lines.
func (r *renderer) lines(lines []line, x, width float64) {
	for _, l := range lines {
		r.room(l.ascent + l.descent)
		r.drawLine(l, alignX(l, x, width), r.y+l.ascent)
		r.y += l.ascent + l.descent
		r.fresh = false
	}
}

// alignX is the left edge of l in the column [x, x+width].
func alignX(l line, x, width float64) float64 {
	if l.rtl {
		return x + width - l.width
	}
	return x
}

func (r *renderer) listItem(label, item string) {
	lines := r.sh.paragraph(item, bodyStyle, contentWidth-listIndent)
	if len(lines) == 0 {
		return
	}
	// The label reads in its item's direction: "1." is ".1" seen from the left in an
	// Arabic item.
	dir := di.DirectionLTR
	if lines[0].rtl {
		dir = di.DirectionRTL
	}
	labels := r.sh.paragraphIn(label, bodyStyle, listIndent, dir)
	if len(labels) == 0 {
		return
	}
	first, lab := lines[0], labels[0]
	r.room(first.ascent + first.descent)
	base := r.y + first.ascent
	if first.rtl {
		r.drawLine(lab, pageWidth-margin-lab.width, base)
		r.lines(lines, margin, contentWidth-listIndent)
	} else {
		r.drawLine(lab, margin, base)
		r.lines(lines, margin+listIndent, contentWidth-listIndent)
	}
	r.y += 3
}

// cell is one laid-out table cell: its lines and where each starts below the row top.
type cell struct {
	x, width float64
	lines    []line
	tops     []float64
}

func (c *cell) height() float64 {
	if len(c.lines) == 0 {
		return 0
	}
	n := len(c.lines) - 1
	return c.tops[n] + c.lines[n].ascent + c.lines[n].descent
}

func newCell(lines []line, x, width float64) cell {
	c := cell{x: x, width: width, lines: lines}
	y := 0.0
	for _, l := range lines {
		c.tops = append(c.tops, y)
		y += l.ascent + l.descent
	}
	return c
}

// table draws rows of labels and values, with a rule under each row. A row that does
// not fit the page moves to the next one; a row taller than a page is split.
func (r *renderer) table(rows []Row) {
	keyW := contentWidth * keyFraction
	valW := contentWidth - keyW
	keyX, valX := margin, margin+keyW
	if r.sh.rtlDoc() {
		keyX, valX = margin+valW, margin
	}
	for _, row := range rows {
		cells := []cell{
			newCell(r.sh.paragraph(row.Key, labelStyle, keyW-2*cellPadding), keyX+cellPadding, keyW-2*cellPadding),
			newCell(r.sh.paragraph(row.Value, bodyStyle, valW-2*cellPadding), valX+cellPadding, valW-2*cellPadding),
		}
		for {
			h := max(cells[0].height(), cells[1].height()) + 2*cellPadding
			r.room(h)
			avail := bottom - r.y - 2*cellPadding
			if h-2*cellPadding <= avail {
				r.drawCells(cells)
				r.y += h
				r.rule(margin, r.y, margin+contentWidth, r.y)
				r.fresh = false
				break
			}
			// Taller than a page: draw what fits, carry the rest over.
			rest := make([]cell, len(cells))
			for i, c := range cells {
				n := 0
				for n < len(c.lines) && c.tops[n]+c.lines[n].ascent+c.lines[n].descent <= avail {
					n++
				}
				if n == 0 && r.fresh && len(c.lines) > 0 {
					n = 1 // a single line taller than the page: draw it, clipped
				}
				rest[i] = newCell(c.lines[n:], c.x, c.width)
				cells[i].lines, cells[i].tops = c.lines[:n], c.tops[:n]
			}
			r.drawCells(cells)
			r.fresh = false
			r.newPage()
			cells = rest
		}
	}
}

func (r *renderer) drawCells(cells []cell) {
	top := r.y + cellPadding
	for _, c := range cells {
		for i, l := range c.lines {
			r.drawLine(l, alignX(l, c.x, c.width), top+c.tops[i]+l.ascent)
		}
	}
}

// signature draws a line to sign on with its label below, and a date line beside it.
func (r *renderer) signature(s Signature) {
	const above = 36.0 // room to sign
	sigW := contentWidth
	if s.DateLabel != "" {
		sigW = contentWidth * 0.6
	}
	dateW := contentWidth * 0.3
	labels := r.sh.paragraph(s.Label, smallStyle, sigW)
	dateLabels := r.sh.paragraph(s.DateLabel, smallStyle, dateW)
	h := above + max(height(labels), height(dateLabels)) + 4
	r.gap(paragraphGap)
	r.room(h)
	sigX, dateX := margin, margin+contentWidth-dateW
	if r.sh.rtlDoc() {
		sigX, dateX = margin+contentWidth-sigW, margin
	}
	y := r.y + above
	r.rule(sigX, y, sigX+sigW, y)
	if s.DateLabel != "" {
		r.rule(dateX, y, dateX+dateW, y)
	}
	r.y = y + 4
	top := r.y
	r.fresh = false
	r.lines(labels, sigX, sigW)
	if s.DateLabel != "" {
		end := r.y
		r.y = top
		r.lines(dateLabels, dateX, dateW)
		r.y = max(r.y, end)
	}
	r.y += paragraphGap
}

// rule draws a thin grey line between two points given from the top-left corner.
func (r *renderer) rule(x1, y1, x2, y2 float64) {
	fmt.Fprintf(r.cur, "q 0.6 G 0.5 w %s %s m %s %s l S Q\n",
		num(x1), num(pageHeight-y1), num(x2), num(pageHeight-y2))
}

// footers numbers the pages ("2 / 3"), centred at the foot of each page.
func (r *renderer) footers() {
	for i, p := range r.pages {
		lines := r.sh.paragraph(fmt.Sprintf("%d / %d", i+1, len(r.pages)), smallStyle, contentWidth)
		if len(lines) == 0 {
			continue
		}
		r.cur = p
		p.WriteString("0.35 g\n")
		r.drawLine(lines[0], (pageWidth-lines[0].width)/2, pageHeight-footerY)
		p.WriteString("0 g\n")
	}
}

// use returns the record of the glyphs drawn in face id.
func (r *renderer) use(id faceID) *fontUse {
	if r.uses[id] == nil {
		r.nUses++
		r.uses[id] = &fontUse{id: id, res: "F" + strconv.Itoa(r.nUses), obj: r.w.alloc(), cids: map[cidKey]uint16{}}
	}
	return r.uses[id]
}

// drawLine writes the text operators drawing l with its left edge at x and its baseline
// at y (both from the top-left corner of the page).
func (r *renderer) drawLine(l line, x, y float64) {
	for _, run := range l.runs {
		if len(run.glyphs) == 0 {
			continue
		}
		// Where each glyph goes, from the run's origin.
		pos := make([]placed, len(run.glyphs))
		pen := 0.0
		for i, g := range run.glyphs {
			pos[i] = placed{g: g, x: pen + g.dx, y: g.dy}
			pen += g.adv
		}
		// Glyphs that carry text first, in visual order, then the ones that don't (marks
		// drawn over their base): text extractors then see each word's letters side by
		// side, with no mark in between to mistake for a gap.
		order := make([]placed, 0, len(pos))
		for _, p := range pos {
			if p.g.text != "" || p.g.adv != 0 {
				order = append(order, p)
			}
		}
		for _, p := range pos {
			if p.g.text == "" && p.g.adv == 0 {
				order = append(order, p)
			}
		}
		r.showGlyphs(run, order, x+run.x, pageHeight-y)
	}
}

// placed is a glyph and where it is drawn, from its run's origin.
type placed struct {
	g    glyph
	x, y float64
}

// showGlyphs writes one text object drawing glyphs at their places from (x, y), in PDF
// coordinates: a TJ array whose numbers move the pen from where the previous glyph's
// width left it to where the next glyph goes, and Ts for glyphs raised or lowered.
func (r *renderer) showGlyphs(run glyphRun, glyphs []placed, x, y float64) {
	b := r.cur
	u := r.use(run.face)
	face := r.fs.faces[run.face]
	unit := run.size / float64(face.Upem()) // points per font unit
	fmt.Fprintf(b, "BT /%s %s Tf ", u.res, num(run.size))
	if run.fakeBold {
		fmt.Fprintf(b, "2 Tr %s w ", num(run.size*0.035))
	}
	fmt.Fprintf(b, "1 0 0 1 %s %s Tm [", num(x), num(y))
	pen, rise, inHex := 0.0, 0.0, false
	closeHex := func() {
		if inHex {
			b.WriteByte('>')
			inHex = false
		}
	}
	for _, p := range glyphs {
		if p.y != rise {
			closeHex()
			fmt.Fprintf(b, "] TJ %s Ts [", num(p.y))
			rise = p.y
		}
		if adj := -(p.x - pen) * 1000 / run.size; adj >= 0.005 || adj <= -0.005 {
			closeHex()
			b.WriteString(num(adj))
		}
		if !inHex {
			b.WriteByte('<')
			inHex = true
		}
		fmt.Fprintf(b, "%04X", u.cid(p.g.gid, p.g.text))
		pen = p.x + float64(face.HorizontalAdvance(p.g.gid))*unit
	}
	closeHex()
	b.WriteString("] TJ")
	if rise != 0 {
		b.WriteString(" 0 Ts")
	}
	if run.fakeBold {
		b.WriteString(" 0 Tr")
	}
	b.WriteString(" ET\n")
}

// rtlDoc reports whether the document as a whole is right to left (from its language).
func (s *shaper) rtlDoc() bool { return s.dir == di.DirectionRTL }
