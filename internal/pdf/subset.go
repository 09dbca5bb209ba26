package pdf

import (
	"encoding/binary"
	"errors"
	"slices"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
)

var (
	tagHead = ot.MustNewTag("head")
	tagHhea = ot.MustNewTag("hhea")
	tagMaxp = ot.MustNewTag("maxp")
	tagHmtx = ot.MustNewTag("hmtx")
	tagLoca = ot.MustNewTag("loca")
	tagGlyf = ot.MustNewTag("glyf")
	tagCmap = ot.MustNewTag("cmap")
	tagPost = ot.MustNewTag("post")
)

// emptyCmap is a cmap table mapping no character (a Windows Unicode format 4 subtable
// with only its closing segment): PDF draws the subset by glyph id, but TrueType
// requires the table.
var emptyCmap = []byte{
	0, 0, 0, 1, // version, one subtable
	0, 3, 0, 1, 0, 0, 0, 12, // platform 3 (Windows), encoding 1 (Unicode BMP), offset
	0, 4, 0, 24, 0, 0, // format 4, length, language
	0, 2, 0, 2, 0, 0, 0, 0, // segCountX2, searchRange, entrySelector, rangeShift
	0xFF, 0xFF, // endCode
	0, 0, // reservedPad
	0xFF, 0xFF, // startCode
	0, 1, // idDelta
	0, 0, // idRangeOffset
}

// post3 is a version 3 post table: no glyph names.
var post3 = []byte{0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// subsetFont builds a TrueType program holding only the glyphs gids (which become glyphs
// 1, 2, … in that order, so that a PDF CID n draws glyph n), glyph 0 (.notdef) and the
// components of composite glyphs, appended after them.
func subsetFont(fd *fontData, gids []font.GID) ([]byte, error) {
	head, hhea, maxp, hmtx := fd.tables[tagHead], fd.tables[tagHhea], fd.tables[tagMaxp], fd.tables[tagHmtx]
	if len(maxp) < 6 {
		return nil, errors.New("pdf: font has no maxp table")
	}
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	glyphData := fd.glyph
	nhm := int(binary.BigEndian.Uint16(hhea[34:]))
	metric := func(gid int) (adv, lsb uint16) {
		if nhm == 0 || 4*nhm > len(hmtx) {
			return 0, 0
		}
		if gid < nhm {
			return binary.BigEndian.Uint16(hmtx[4*gid:]), binary.BigEndian.Uint16(hmtx[4*gid+2:])
		}
		adv = binary.BigEndian.Uint16(hmtx[4*(nhm-1):])
		if off := 4*nhm + 2*(gid-nhm); off+2 <= len(hmtx) {
			lsb = binary.BigEndian.Uint16(hmtx[off:])
		}
		return adv, lsb
	}

	// order[i] is the original glyph of new glyph i; first holds the first new glyph
	// drawing each original one, which composite glyphs refer to.
	order := make([]int, 0, len(gids)+1)
	first := map[int]int{}
	add := func(gid int) int {
		order = append(order, gid)
		if _, ok := first[gid]; !ok {
			first[gid] = len(order) - 1
		}
		return len(order) - 1
	}
	add(0)
	for _, g := range gids {
		add(int(g))
	}
	// Walk composites (including components added while walking) for their components.
	for i := 0; i < len(order); i++ {
		for _, c := range components(glyphData(order[i])) {
			if _, ok := first[c]; !ok && c < numGlyphs {
				add(c)
			}
		}
	}
	if len(order) > 0xFFFF {
		return nil, errors.New("pdf: too many glyphs for one font")
	}

	var newGlyf, newLoca, newHmtx []byte
	for _, gid := range order {
		newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(len(newGlyf)))
		data := slices.Clone(glyphData(gid))
		remapComponents(data, first)
		newGlyf = append(newGlyf, data...)
		for len(newGlyf)%4 != 0 {
			newGlyf = append(newGlyf, 0)
		}
		adv, lsb := metric(gid)
		newHmtx = binary.BigEndian.AppendUint16(newHmtx, adv)
		newHmtx = binary.BigEndian.AppendUint16(newHmtx, lsb)
	}
	newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(len(newGlyf)))

	newHead := slices.Clone(head)
	binary.BigEndian.PutUint32(newHead[8:], 0)  // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(newHead[50:], 1) // indexToLocFormat: long
	newHhea := slices.Clone(hhea)
	binary.BigEndian.PutUint16(newHhea[34:], uint16(len(order)))
	newMaxp := slices.Clone(maxp)
	binary.BigEndian.PutUint16(newMaxp[4:], uint16(len(order)))

	tables := map[ot.Tag][]byte{
		tagHead: newHead, tagHhea: newHhea, tagMaxp: newMaxp,
		tagHmtx: newHmtx, tagLoca: newLoca, tagGlyf: newGlyf,
		tagCmap: emptyCmap, tagPost: post3,
	}
	for tag, b := range fd.tables {
		if _, ok := tables[tag]; !ok {
			tables[tag] = b // cvt, fpgm, prep: the hinting programs the glyphs call
		}
	}
	out := writeTTF(tables)
	adj := 0xB1B0AFBA - checksum(out)
	if off := tableOffset(out, tagHead); off >= 0 {
		binary.BigEndian.PutUint32(out[off+8:], adj)
	}
	return out, nil
}

// glyph returns the data of glyph gid in the glyf table, nil if it is empty or out of range.
func (fd *fontData) glyph(gid int) []byte {
	head, maxp := fd.tables[tagHead], fd.tables[tagMaxp]
	loca, glyf := fd.tables[tagLoca], fd.tables[tagGlyf]
	if len(maxp) < 6 || gid < 0 || gid >= int(binary.BigEndian.Uint16(maxp[4:])) {
		return nil
	}
	var start, end int
	if binary.BigEndian.Uint16(head[50:]) == 1 {
		if 4*gid+8 > len(loca) {
			return nil
		}
		start, end = int(binary.BigEndian.Uint32(loca[4*gid:])), int(binary.BigEndian.Uint32(loca[4*gid+4:]))
	} else {
		if 2*gid+4 > len(loca) {
			return nil
		}
		start, end = 2*int(binary.BigEndian.Uint16(loca[2*gid:])), 2*int(binary.BigEndian.Uint16(loca[2*gid+2:]))
	}
	if start >= end || end > len(glyf) {
		return nil
	}
	return glyf[start:end]
}

// Composite glyph flags.
const (
	argsAreWords   = 0x0001
	haveScale      = 0x0008
	moreComponents = 0x0020
	haveXYScale    = 0x0040
	haveTwoByTwo   = 0x0080
)

// forComponents calls fn with the offset of each component's glyph index in a composite
// glyph; it does nothing for a simple or malformed glyph.
func forComponents(data []byte, fn func(off int)) {
	if len(data) < 10 || int16(binary.BigEndian.Uint16(data)) >= 0 {
		return
	}
	p := 10
	for p+4 <= len(data) {
		flags := binary.BigEndian.Uint16(data[p:])
		fn(p + 2)
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComponents == 0 {
			return
		}
	}
}

func components(data []byte) []int {
	var out []int
	forComponents(data, func(off int) { out = append(out, int(binary.BigEndian.Uint16(data[off:]))) })
	return out
}

func remapComponents(data []byte, first map[int]int) {
	forComponents(data, func(off int) {
		if n, ok := first[int(binary.BigEndian.Uint16(data[off:]))]; ok {
			binary.BigEndian.PutUint16(data[off:], uint16(n))
		}
	})
}

// writeTTF writes a TrueType file holding tables, sorted by tag and 4-byte aligned.
func writeTTF(tables map[ot.Tag][]byte) []byte {
	tags := make([]ot.Tag, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	n := len(tags)
	pow := 1
	log2 := 0
	for pow*2 <= n {
		pow *= 2
		log2++
	}
	out := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(pow*16))
	binary.BigEndian.PutUint16(out[8:], uint16(log2))
	binary.BigEndian.PutUint16(out[10:], uint16(n*16-pow*16))
	for i, t := range tags {
		b := tables[t]
		rec := out[12+16*i:]
		binary.BigEndian.PutUint32(rec, uint32(t))
		binary.BigEndian.PutUint32(rec[4:], checksum(b))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(b)))
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// tableOffset returns where table tag starts in a TrueType file, or -1.
func tableOffset(ttf []byte, tag ot.Tag) int {
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	for i := range n {
		rec := ttf[12+16*i:]
		if ot.Tag(binary.BigEndian.Uint32(rec)) == tag {
			return int(binary.BigEndian.Uint32(rec[8:]))
		}
	}
	return -1
}

// checksum is the TrueType table checksum: the sum of big-endian uint32s, zero-padded.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
