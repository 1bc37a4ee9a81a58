// Package importer loads addresses, buildings and households from the CSV
// and XLSX lists community offices keep: it recognises Chinese or English
// headers (or an explicit mapping), checks every row, and loads a file
// all-or-nothing in the caller's transaction (see Households).
package importer

import (
	"fmt"
	"sort"
	"strings"
)

// Field is a column the importer understands.
type Field string

// The household file's fields.
const (
	Estate     Field = "estate"      // 小区 (required)
	BuildingNo Field = "building_no" // 楼栋 (required)
	UnitNo     Field = "unit_no"     // 单元
	Room       Field = "room"        // 室
	Lon        Field = "lon"         // 经度 (required)
	Lat        Field = "lat"         // 纬度 (required)
	CRS        Field = "crs"         // 坐标系: wgs84, gcj02, bd09, cgcs2000
	HeadName   Field = "head_name"   // 户主姓名 (required)
	IDNumber   Field = "id_number"   // 身份证号
	Phone      Field = "phone"       // 电话
	Members    Field = "members"     // 人数
	Tags       Field = "tags"        // 标签
)

// Fields lists every field in file order.
var Fields = []Field{Estate, BuildingNo, UnitNo, Room, Lon, Lat, CRS, HeadName, IDNumber, Phone, Members, Tags}

var required = []Field{Estate, BuildingNo, Lon, Lat, HeadName}

// headerAliases: the headers recognised for each field, compared after
// headerKey (case, spaces, full-width forms and "*"/"(必填)" marks ignored).
var headerAliases = map[Field][]string{
	Estate:     {"estate", "小区", "小区名称", "小区名", "楼盘", "小区/楼盘"},
	BuildingNo: {"building_no", "building", "楼栋", "楼栋号", "楼号", "栋", "幢", "楼幢", "幢号", "栋号"},
	UnitNo:     {"unit_no", "unit", "单元", "单元号"},
	Room:       {"room", "室", "室号", "房号", "房间号", "门牌号"},
	Lon:        {"lon", "lng", "longitude", "x", "经度"},
	Lat:        {"lat", "latitude", "y", "纬度"},
	CRS:        {"crs", "srs", "坐标系", "坐标系统"},
	HeadName:   {"head_name", "name", "户主姓名", "户主", "姓名", "户主名"},
	IDNumber:   {"id_number", "id_no", "身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证"},
	Phone:      {"phone", "mobile", "tel", "电话", "联系电话", "手机", "手机号", "手机号码", "联系方式"},
	Members:    {"members", "人数", "家庭人数", "户人数", "人口数", "成员数", "家庭人口"},
	Tags:       {"tags", "标签", "类别", "人员类别", "人员标签"},
}

var aliasIndex = func() map[string]Field {
	m := map[string]Field{}
	for f, names := range headerAliases {
		for _, n := range names {
			m[headerKey(n)] = f
		}
	}
	return m
}()

// headerKey is the comparable form of a header: full-width folded, lower
// case, without spaces and without required-field marks.
func headerKey(h string) string {
	var b strings.Builder
	for _, r := range h {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000 || r == 0xFEFF:
			continue
		}
		if r == ' ' || r == '\t' || r == '*' || r == '\n' || r == '\r' {
			continue
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	k := b.String()
	for _, mark := range []string{"(必填)", "(选填)", "(可选)"} {
		k = strings.ReplaceAll(k, mark, "")
	}
	return k
}

// ParseField accepts a field name ("head_name") or any recognised header
// ("户主姓名").
func ParseField(s string) (Field, error) {
	if f, ok := aliasIndex[headerKey(s)]; ok {
		return f, nil
	}
	return "", fmt.Errorf("unknown field %q (want one of %s)", s, fieldList())
}

func fieldList() string {
	names := make([]string, len(Fields))
	for i, f := range Fields {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// ParseMapping reads "header=field" pairs (as given to --map): the header
// as written in the file, the field by name or by any recognised header.
func ParseMapping(pairs []string) (map[string]Field, error) {
	m := map[string]Field{}
	for _, p := range pairs {
		h, f, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(h) == "" {
			return nil, fmt.Errorf("mapping %q: want HEADER=FIELD", p)
		}
		field, err := ParseField(f)
		if err != nil {
			return nil, fmt.Errorf("mapping %q: %w", p, err)
		}
		m[headerKey(h)] = field
	}
	return m, nil
}

// columns maps record positions to fields for one file.
type columns struct {
	pos    map[Field]int
	header []string // as written, for error reports
}

// mapHeader resolves a header record. Explicit mappings win over the
// recognised names; unknown headers are ignored. Problems: a field claimed
// by two columns, or a required field missing.
func mapHeader(rec []string, explicit map[string]Field, row int) (columns, []Problem) {
	c := columns{pos: map[Field]int{}, header: rec}
	var probs []Problem
	for i, h := range rec {
		k := headerKey(h)
		if k == "" {
			continue
		}
		f, ok := explicit[k]
		if !ok {
			f, ok = aliasIndex[k]
		}
		if !ok {
			continue
		}
		if j, dup := c.pos[f]; dup {
			probs = append(probs, Problem{Row: row, Column: h,
				Reason: fmt.Sprintf("both %q and %q are %s: map one of them elsewhere", rec[j], h, f)})
			continue
		}
		c.pos[f] = i
	}
	for _, f := range required {
		if _, ok := c.pos[f]; !ok {
			probs = append(probs, Problem{Row: row, Column: string(f),
				Reason: fmt.Sprintf("no column for required field %s (headers: %s)", f, strings.Join(headerAliases[f], ", "))})
		}
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Column < probs[j].Column })
	return c, probs
}

// name is the column's header as written (or the field name).
func (c columns) name(f Field) string {
	if i, ok := c.pos[f]; ok && i < len(c.header) && strings.TrimSpace(c.header[i]) != "" {
		return strings.TrimSpace(c.header[i])
	}
	return string(f)
}

func (c columns) get(rec []string, f Field) string {
	i, ok := c.pos[f]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}
