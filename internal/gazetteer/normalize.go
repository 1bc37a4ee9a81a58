// Package gazetteer is the standard address gazetteer (标准地址库): the
// normalisation that makes differently written addresses compare equal
// ("幸福小区 三号楼" = "幸福小区3栋" = "幸福小区３幢") and the search over it.
//
// Normalize is mirrored by the SQL function gazetteer_norm (migration
// 000009), which fills the indexed columns; a test checks that both agree
// on every table case and on random strings. Change them together.
package gazetteer

import (
	"regexp"
	"strconv"
	"strings"
)

// Canonical markers after normalisation.
const (
	MarkBuilding = "栋"  // 栋 幢 号楼 座 # #楼
	MarkUnit     = "单元" // 单元
	MarkRoom     = "室"  // 室 房 号房
)

var (
	// Anything that is not an ASCII digit or letter, a CJK ideograph, 〇, or
	// one of the two shorthand signs '#' and '-' (dropped at the end).
	dropRE = regexp.MustCompile(`[^0-9a-z#〇\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}-]+`)
	// A marker counts only right after a number, so 星座 or 房东 stay text.
	buildingRE = regexp.MustCompile(`([0-9a-z〇零一二两三四五六七八九十百千])(号楼|#楼|栋|幢|座|#)`)
	unitRE     = regexp.MustCompile(`([0-9a-z〇零一二两三四五六七八九十百千])单元`)
	roomRE     = regexp.MustCompile(`([0-9a-z〇零一二两三四五六七八九十百千])(号房|室|房)`)
	numeralRE  = regexp.MustCompile(`([〇零一二两三四五六七八九十百千]+)(栋|单元|室)`)
	// Shorthand 3-2-302 (building-unit-room) and 3-302 (building-room).
	dash3RE = regexp.MustCompile(`([0-9]+)-([0-9]+)-([0-9]+)室?`)
	dash2RE = regexp.MustCompile(`([0-9]+)-([0-9]+)室?`)
	signRE  = regexp.MustCompile(`[#\-]+`)
)

// Normalize returns the comparable form of an address or query: full-width
// forms folded to ASCII, ASCII lower-cased, spaces and punctuation dropped,
// building/unit/room markers made canonical (栋, 单元, 室) and Chinese
// numerals before them turned into digits (三 → 3, 十二 → 12, 三零二 → 302,
// 三百零二 → 302). "3-2-302" reads as building 3, unit 2, room 302. Text
// without numbers (estate and community names) is only folded and stripped.
func Normalize(s string) string {
	s = fold(s)
	s = dropRE.ReplaceAllString(s, "")
	s = buildingRE.ReplaceAllString(s, "${1}"+MarkBuilding)
	s = unitRE.ReplaceAllString(s, "${1}"+MarkUnit)
	s = roomRE.ReplaceAllString(s, "${1}"+MarkRoom)
	s = numeralRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := numeralRE.FindStringSubmatch(m)
		return ChineseNumber(sub[1]) + sub[2]
	})
	s = dash3RE.ReplaceAllString(s, "${1}"+MarkBuilding+"${2}"+MarkUnit+"${3}"+MarkRoom)
	s = dash2RE.ReplaceAllString(s, "${1}"+MarkBuilding+"${2}"+MarkRoom)
	return signRE.ReplaceAllString(s, "")
}

// Key is Normalize without a trailing canonical marker, so a building
// number, unit or room compares equal however it was written: "3幢", "3号楼"
// and "3" all give "3"; "302室" and "302" give "302". Used to match imported
// rows against stored buildings and addresses (SQL: gazetteer_key).
func Key(s string) string {
	n := Normalize(s)
	for _, m := range []string{MarkBuilding, MarkUnit, MarkRoom} {
		if t, ok := strings.CutSuffix(n, m); ok {
			return t
		}
	}
	return n
}

// fold maps full-width ASCII (U+FF01–FF5E) and the ideographic space to
// ASCII and lower-cases ASCII letters.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var numeralDigit = map[rune]int{'〇': 0, '零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// ChineseNumber converts a run of Chinese numerals to decimal digits. With
// 十/百/千 it reads positionally (十二 → 12, 二十 → 20, 三百零二 → 302,
// 一千零一 → 1001); without, digit by digit (三零二 → 302, 两 → 2). Runes
// that are not numerals are ignored.
func ChineseNumber(s string) string {
	positional := strings.ContainsAny(s, "十百千")
	if !positional {
		var b strings.Builder
		for _, r := range s {
			if d, ok := numeralDigit[r]; ok {
				b.WriteByte(byte('0' + d))
			}
		}
		return b.String()
	}
	total, cur := 0, 0
	for _, r := range s {
		switch r {
		case '十':
			total += max(cur, 1) * 10
			cur = 0
		case '百':
			total += max(cur, 1) * 100
			cur = 0
		case '千':
			total += max(cur, 1) * 1000
			cur = 0
		default:
			if d, ok := numeralDigit[r]; ok {
				cur = d
			}
		}
	}
	return strconv.Itoa(total + cur)
}
