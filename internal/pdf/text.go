package pdf

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// textStyle is the size (points) and weight of a piece of text.
type textStyle struct {
	size float64
	bold bool
}

// line is one laid-out line of text. Its runs are in logical order, the order they are
// written to the page, each placed by its x; a right-to-left run is split into words.
type line struct {
	width           float64 // points
	ascent, descent float64 // points above and below the baseline, both positive
	rtl             bool    // the direction of its paragraph, which aligns it
	runs            []glyphRun
}

// glyphRun is a sequence of glyphs of one face, drawn left to right from x.
type glyphRun struct {
	face     faceID
	size     float64
	fakeBold bool // the face has no bold: stroke its outlines
	x        float64
	glyphs   []glyph
}

// glyph is one shaped glyph. text is what copying it gives back: the source text of its
// cluster for the first glyph that has width (ligatures and joined forms included), and
// "" for the other glyphs of a cluster (marks drawn with their base).
type glyph struct {
	gid         font.GID
	text        string
	adv, dx, dy float64 // advance and offset from the pen, points
}

// shaper turns paragraphs into lines. It is used by one Render only.
type shaper struct {
	fs       *faceSet
	maps     [2]*fontmap // regular, bold
	lang     language.Language
	dir      di.Direction // the document's direction, for paragraphs with no strong letter
	hb       shaping.HarfbuzzShaper
	seg      shaping.Segmenter
	wrap     shaping.LineWrapper
	unshaped bool // test hook: nominal glyphs in logical order on one line, unshaped
}

func newShaper(fs *faceSet, lang string) *shaper {
	s := &shaper{fs: fs, maps: [2]*fontmap{fs.fontmap(false), fs.fontmap(true)}, dir: di.DirectionLTR}
	if lang != "" {
		s.lang = language.NewLanguage(lang)
		if isRTLLanguage(s.lang) {
			s.dir = di.DirectionRTL
		}
	}
	return s
}

// isRTLLanguage reports whether a language is written right to left by default.
func isRTLLanguage(l language.Language) bool {
	switch l.Primary() {
	case "ar", "ckb", "dv", "fa", "he", "prs", "ps", "sd", "ug", "ur", "yi":
		return true
	}
	return strings.Contains(string(l)+"-", "-arab-") // ku-Arab, pa-Arab …
}

// cleanText makes any string safe to lay out: invalid UTF-8 becomes U+FFFD, line ends
// become "\n", tabs become spaces and other control characters are dropped. The text is
// put in Unicode normal form C, so that a letter typed as a base and an accent is drawn,
// and copied back, as the one letter.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFC.String(strings.ReplaceAll(s, "\r\n", "\n"))
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\r', r == '\t', r == '\u2028', r == '\u2029', r == '\u0085':
			if r == '\t' {
				return ' '
			}
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// firstStrong returns the direction given by the first strong letter of text (rule P2 of
// the Unicode bidirectional algorithm), or def if there is none.
func firstStrong(text []rune, def di.Direction) di.Direction {
	for _, r := range text {
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.L:
			return di.DirectionLTR
		case bidi.R, bidi.AL:
			return di.DirectionRTL
		}
	}
	return def
}

// arabicScale enlarges Arabic script to match the Latin text around it: at the same
// size, Noto Naskh Arabic looks a good deal smaller than Noto Sans.
const arabicScale = 1.2

func toFixed(v float64) fixed.Int26_6   { return fixed.Int26_6(math.Round(v * 64)) }
func fromFixed(v fixed.Int26_6) float64 { return float64(v) / 64 }

// paragraph lays text out in lines at most width points wide. Each line of the text
// ("\n") is a paragraph of its own for direction and alignment; an empty one gives an
// empty line.
func (s *shaper) paragraph(text string, st textStyle, width float64) []line {
	return s.paragraphIn(text, st, width, s.dir)
}

// paragraphIn is paragraph with def the direction of lines that have no strong letter.
func (s *shaper) paragraphIn(text string, st textStyle, width float64, def di.Direction) []line {
	var lines []line
	for _, part := range strings.Split(cleanText(text), "\n") {
		lines = append(lines, s.lines([]rune(part), st, width, def)...)
	}
	return lines
}

func (s *shaper) lines(text []rune, st textStyle, width float64, def di.Direction) []line {
	dir := firstStrong(text, def)
	if len(text) == 0 {
		return []line{s.metrics(line{rtl: dir == di.DirectionRTL}, st)}
	}
	fm := s.maps[0]
	if st.bold {
		fm = s.maps[1]
	}
	in := shaping.Input{
		Text: text, RunStart: 0, RunEnd: len(text),
		Direction: dir, Size: toFixed(st.size), Language: s.lang,
	}
	inputs := s.seg.Split(in, fm)
	outs := make([]shaping.Output, len(inputs))
	for i, in := range inputs {
		if id := s.fs.ids[in.Face]; id == naskhRegular || id == naskhBold {
			in.Size = toFixed(st.size * arabicScale)
		}
		outs[i] = s.hb.Shape(in)
	}
	cfg := shaping.WrapConfig{Direction: dir, BreakPolicy: shaping.WhenNecessary}
	wrapped, _ := s.wrap.WrapParagraphF(cfg, toFixed(width), text, shaping.NewSliceIterator(outs))
	lines := make([]line, 0, len(wrapped))
	for _, wl := range wrapped {
		// The runs come in logical order; each knows its visual place. Lay them out in
		// visual order, but keep them in logical order, which is the order they are
		// written to the page: text extraction and screen readers read that order.
		visual := slices.Clone([]shaping.Output(wl))
		slices.SortStableFunc(visual, func(a, b shaping.Output) int { return int(a.VisualIndex) - int(b.VisualIndex) })
		xs := make(map[int32]float64, len(visual))
		l := line{rtl: dir == di.DirectionRTL}
		for _, o := range visual {
			xs[o.VisualIndex] = l.width
			l.width += fromFixed(o.Advance)
			l.ascent = max(l.ascent, fromFixed(o.GlyphBounds.Ascent))
			l.descent = max(l.descent, -fromFixed(o.GlyphBounds.Descent))
		}
		for _, o := range wl {
			id := s.fs.ids[o.Face]
			r := glyphRun{face: id, size: fromFixed(o.Size), x: xs[o.VisualIndex], fakeBold: st.bold && id == ethiopicRegular}
			r.glyphs = make([]glyph, len(o.Glyphs))
			for i, g := range o.Glyphs {
				r.glyphs[i] = glyph{gid: g.GlyphID, adv: fromFixed(g.Advance), dx: fromFixed(g.XOffset), dy: fromFixed(g.YOffset)}
			}
			rtl := o.Direction.Progression() == di.TowardTopLeft
			clusterText(r.glyphs, o.Glyphs, text, rtl)
			if rtl {
				l.runs = append(l.runs, splitWords(r)...)
			} else {
				l.runs = append(l.runs, r)
			}
		}
		lines = append(lines, s.metrics(l, st))
	}
	if s.unshaped && len(lines) > 0 {
		// Same place and line height, but letters neither joined nor reordered.
		nominal := s.nominal(text, st, fm)
		lines = []line{{width: nominal.width, ascent: lines[0].ascent, descent: lines[0].descent, rtl: lines[0].rtl, runs: nominal.runs}}
	}
	return lines
}

// splitWords splits a right-to-left run (glyphs in visual order) into its words, each
// with the space that follows it, and returns them in logical order, rightmost first.
func splitWords(r glyphRun) []glyphRun {
	var words []glyphRun
	x := r.x
	start := 0
	for i := 0; i <= len(r.glyphs); i++ {
		// A word ends to the left of a space that follows a non-space.
		if i < len(r.glyphs) && !(i > start && isSpace(r.glyphs[i-1].text) && !isSpace(r.glyphs[i].text)) {
			continue
		}
		w := r
		w.glyphs = r.glyphs[start:i]
		w.x = x
		for _, g := range w.glyphs {
			x += g.adv
		}
		words = append(words, w)
		start = i
	}
	slices.Reverse(words)
	return words
}

func isSpace(s string) bool { return s != "" && strings.TrimSpace(s) == "" }

// clusterText gives each cluster's source text to one of its glyphs: the first (in the
// order drawn) with an advance, else the first.
//
// In a right-to-left run the text of a cluster of several characters (a ligature such as
// the one for "لله") is stored reversed, in visual order: text extractors (poppler,
// pdf.js) take the glyphs' text as a visual string and reverse right-to-left stretches
// of it, each character of a ligature included.
func clusterText(dst []glyph, src []shaping.Glyph, text []rune, rtl bool) {
	for i := 0; i < len(src); {
		start, n := src[i].TextIndex(), src[i].RunesCount()
		j := i + 1
		for j < len(src) && src[j].TextIndex() == start {
			j++
		}
		k := i
		for m := i; m < j; m++ {
			if dst[m].adv != 0 {
				k = m
				break
			}
		}
		if start >= 0 && n > 0 && start+n <= len(text) {
			cluster := text[start : start+n]
			if rtl && n > 1 {
				cluster = slices.Clone(cluster)
				slices.Reverse(cluster)
			}
			dst[k].text = string(cluster)
		}
		i = j
	}
}

// nominal draws text without shaping or bidi: each rune's nominal glyph, in logical
// order, left to right. Only tests use it, to show what shaping changes.
func (s *shaper) nominal(text []rune, st textStyle, fm *fontmap) line {
	l := line{}
	var r *glyphRun
	for _, c := range text {
		id := fm.resolve(c)
		size := st.size
		if id == naskhRegular || id == naskhBold {
			size *= arabicScale
		}
		if r == nil || r.face != id {
			l.runs = append(l.runs, glyphRun{face: id, size: size, x: l.width})
			r = &l.runs[len(l.runs)-1]
		}
		f := s.fs.faces[id]
		gid, _ := f.NominalGlyph(c)
		adv := float64(f.HorizontalAdvance(gid)) * size / float64(f.Upem())
		r.glyphs = append(r.glyphs, glyph{gid: gid, text: string(c), adv: adv})
		l.width += adv
	}
	return l
}

// metrics sets the line's ascent and descent: those of the style, grown to fit tall
// glyphs (Arabic marks, for example).
func (s *shaper) metrics(l line, st textStyle) line {
	l.ascent = max(1.0*st.size, l.ascent+0.1*st.size)
	l.descent = max(0.45*st.size, l.descent+0.1*st.size)
	return l
}
