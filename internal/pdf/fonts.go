package pdf

import (
	"bytes"
	"embed"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"github.com/go-text/typesetting/language"
)

// The Noto faces are copied from Debian's fonts-noto-core by scripts/update-fonts.sh;
// fonts/OFL.txt is their licence. Only the glyphs a document uses are embedded in it.
//
//go:embed fonts/*.ttf
var fontFiles embed.FS

// faceID names one embedded face.
type faceID int

const (
	sansRegular faceID = iota
	sansBold
	naskhRegular
	naskhBold
	ethiopicRegular
	numFaces
)

// faceFiles are the PostScript names of the faces, which are also their file names.
var faceFiles = [numFaces]string{
	sansRegular:     "NotoSans-Regular",
	sansBold:        "NotoSans-Bold",
	naskhRegular:    "NotoNaskhArabic-Regular",
	naskhBold:       "NotoNaskhArabic-Bold",
	ethiopicRegular: "NotoSansEthiopic-Regular",
}

// fontData is one parsed face, shared by every Render (font.Font is safe for
// concurrent use; font.Face is not, so each Render makes its own).
type fontData struct {
	name   string
	font   *font.Font
	tables map[ot.Tag][]byte // the raw tables the subsetter needs
	upem   float64
	// Values for the PDF font descriptor, in font units.
	bbox                       [4]int16
	ascent, descent, capHeight int16
	bold                       bool
}

var (
	fontsOnce sync.Once
	fontsData [numFaces]*fontData
	fontsErr  error
)

// loadFonts parses the embedded faces once.
func loadFonts() ([numFaces]*fontData, error) {
	fontsOnce.Do(func() {
		for id := range numFaces {
			fd, err := parseFace(faceFiles[id])
			if err != nil {
				fontsErr = err
				return
			}
			fd.bold = id == sansBold || id == naskhBold
			fontsData[id] = fd
		}
	})
	return fontsData, fontsErr
}

// subsetTables are the TrueType tables a CIDFontType2 program needs; cmap, name, OS/2,
// post and the layout tables are left out of the embedded subset.
var subsetTables = []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cvt ", "fpgm", "prep"}

func parseFace(name string) (*fontData, error) {
	raw, err := fontFiles.ReadFile("fonts/" + name + ".ttf")
	if err != nil {
		return nil, fmt.Errorf("pdf: font %s: %w", name, err)
	}
	ld, err := ot.NewLoader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("pdf: font %s: %w", name, err)
	}
	f, err := font.NewFont(ld)
	if err != nil {
		return nil, fmt.Errorf("pdf: font %s: %w", name, err)
	}
	fd := &fontData{name: name, font: f, tables: map[ot.Tag][]byte{}, upem: float64(f.Upem())}
	for _, tag := range subsetTables {
		t := ot.MustNewTag(tag)
		if !ld.HasTable(t) {
			continue
		}
		b, err := ld.RawTable(t)
		if err != nil {
			return nil, fmt.Errorf("pdf: font %s table %s: %w", name, tag, err)
		}
		fd.tables[t] = b
	}
	head, hhea := fd.tables[ot.MustNewTag("head")], fd.tables[ot.MustNewTag("hhea")]
	if len(head) < 54 || len(hhea) < 36 || fd.tables[ot.MustNewTag("glyf")] == nil || fd.tables[ot.MustNewTag("loca")] == nil {
		return nil, fmt.Errorf("pdf: font %s is not a TrueType font", name)
	}
	for i := range 4 {
		fd.bbox[i] = int16(binary.BigEndian.Uint16(head[36+2*i:]))
	}
	fd.ascent = int16(binary.BigEndian.Uint16(hhea[4:]))
	fd.descent = int16(binary.BigEndian.Uint16(hhea[6:]))
	fd.capHeight = fd.ascent * 7 / 10
	if os2, err := ld.RawTable(ot.MustNewTag("OS/2")); err == nil && len(os2) >= 90 && binary.BigEndian.Uint16(os2) >= 2 {
		fd.capHeight = int16(binary.BigEndian.Uint16(os2[88:]))
	}
	return fd, nil
}

// faceSet holds one Render's faces (font.Face caches are not safe for concurrent use).
type faceSet struct {
	data  [numFaces]*fontData
	faces [numFaces]*font.Face
	ids   map[*font.Face]faceID
}

func newFaceSet() (*faceSet, error) {
	data, err := loadFonts()
	if err != nil {
		return nil, err
	}
	fs := &faceSet{data: data, ids: make(map[*font.Face]faceID, numFaces)}
	for id := range numFaces {
		fs.faces[id] = font.NewFace(data[id].font)
		fs.ids[fs.faces[id]] = id
	}
	return fs, nil
}

// fontmap picks the face for each rune of one style: the face of the rune's own script
// first, then, for digits, spaces and punctuation, the face of the surrounding script if
// it has the glyph, then the first face that has it. It implements shaping.FontmapScript.
type fontmap struct {
	fs     *faceSet
	chain  [3]faceID // Latin and others, Arabic, Ethiopic
	script language.Script
}

func (fs *faceSet) fontmap(bold bool) *fontmap {
	if bold {
		return &fontmap{fs: fs, chain: [3]faceID{sansBold, naskhBold, ethiopicRegular}}
	}
	return &fontmap{fs: fs, chain: [3]faceID{sansRegular, naskhRegular, ethiopicRegular}}
}

// SetScript records the script the segmenter resolved for the next runes.
func (m *fontmap) SetScript(s language.Script) { m.script = s }

// ResolveFace returns the face to draw r with.
func (m *fontmap) ResolveFace(r rune) *font.Face {
	return m.fs.faces[m.resolve(r)]
}

func (m *fontmap) resolve(r rune) faceID {
	latin, arabic, ethiopic := m.chain[0], m.chain[1], m.chain[2]
	has := func(id faceID) bool { _, ok := m.fs.faces[id].NominalGlyph(r); return ok }
	switch language.LookupScript(r) {
	case language.Arabic:
		return arabic
	case language.Ethiopic:
		return ethiopic
	case language.Common, language.Inherited, language.Unknown:
		switch m.script {
		case language.Arabic:
			if has(arabic) {
				return arabic
			}
		case language.Ethiopic:
			if has(ethiopic) {
				return ethiopic
			}
		}
	}
	for _, id := range [...]faceID{latin, arabic, ethiopic} {
		if has(id) {
			return id
		}
	}
	return latin
}
