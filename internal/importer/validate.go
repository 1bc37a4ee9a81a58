package importer

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"wangge/geo/crs"
	"wangge/internal/gazetteer"
)

// Problem is one bad cell or row, located as the spreadsheet shows it.
type Problem struct {
	Row    int    `json:"row"`    // 1-based, the header being row 1 in most files
	Column string `json:"column"` // the header as written, or the field name
	Reason string `json:"reason"`
}

func (p Problem) String() string { return fmt.Sprintf("row %d, %s: %s", p.Row, p.Column, p.Reason) }

// Row is one checked household line, coordinates already in WGS-84.
type Row struct {
	Line                             int
	Estate, BuildingNo, UnitNo, Room string // display forms
	EstateKey, BuildingKey           string // gazetteer.Normalize / gazetteer.Key forms for matching
	UnitKey, RoomKey                 string
	Lon, Lat                         float64
	HeadName, IDNumber, Phone        string
	Members                          int
	Tags                             []string
}

const maxText = 100

var (
	digitsRE   = regexp.MustCompile(`^[0-9]+$`)
	mobileRE   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRE = regexp.MustCompile(`^0[1-9][0-9]{8,10}$`)
	tagSplitRE = regexp.MustCompile(`[、;；,，]`)
	sciRE      = regexp.MustCompile(`^[0-9.]+[eE][+]?[0-9]+$`)
)

// checkRow turns a record into a Row, or lists everything wrong with it.
// defCRS applies when the file has no crs column or the cell is empty.
func checkRow(c columns, rec []string, line int, defCRS crs.System) (Row, []Problem) {
	r := Row{Line: line}
	var probs []Problem
	bad := func(f Field, format string, a ...any) {
		probs = append(probs, Problem{Row: line, Column: c.name(f), Reason: fmt.Sprintf(format, a...)})
	}
	text := func(f Field, need bool) string {
		v := c.get(rec, f)
		switch {
		case !utf8.ValidString(v):
			bad(f, "not valid text")
			return ""
		case v == "" && need:
			bad(f, "required")
		case utf8.RuneCountInString(v) > maxText:
			bad(f, "longer than %d characters", maxText)
		}
		return v
	}
	r.Estate = text(Estate, true)
	r.BuildingNo = text(BuildingNo, true)
	r.UnitNo = text(UnitNo, false)
	r.Room = text(Room, false)
	r.HeadName = text(HeadName, true)
	if r.Estate != "" && gazetteer.Normalize(r.Estate) == "" {
		bad(Estate, "%q has no letters or digits", r.Estate)
	}
	if r.BuildingNo != "" && gazetteer.Key(r.BuildingNo) == "" {
		bad(BuildingNo, "%q has no letters or digits", r.BuildingNo)
	}
	// Bare numbers get the demo's markers, so stored text reads alike.
	if digitsRE.MatchString(r.BuildingNo) {
		r.BuildingNo += "幢"
	}
	if digitsRE.MatchString(r.UnitNo) {
		r.UnitNo += "单元"
	}
	if digitsRE.MatchString(r.Room) {
		r.Room += "室"
	}
	r.EstateKey = gazetteer.Normalize(r.Estate)
	r.BuildingKey = gazetteer.Key(r.BuildingNo)
	r.UnitKey = gazetteer.Key(r.UnitNo)
	r.RoomKey = gazetteer.Key(r.Room)

	sys := defCRS
	if v := c.get(rec, CRS); v != "" {
		s, err := crs.Parse(v)
		if err != nil {
			bad(CRS, "%q: want wgs84, gcj02, bd09 or cgcs2000", v)
		}
		sys = s
	}
	lon, lonOK := number(c.get(rec, Lon))
	lat, latOK := number(c.get(rec, Lat))
	switch {
	case c.get(rec, Lon) == "":
		bad(Lon, "required")
	case !lonOK:
		bad(Lon, "%q is not a number", c.get(rec, Lon))
	case lon < -180 || lon > 180:
		bad(Lon, "%v is outside -180…180", lon)
	}
	switch {
	case c.get(rec, Lat) == "":
		bad(Lat, "required")
	case !latOK:
		bad(Lat, "%q is not a number", c.get(rec, Lat))
	case lat < -90 || lat > 90:
		bad(Lat, "%v is outside -90…90", lat)
	}
	if lonOK && latOK && math.Abs(lon) <= 180 && math.Abs(lat) <= 90 {
		p := orb.Point{lon, lat}
		if !crs.InChina(p) {
			if crs.InChina(orb.Point{lat, lon}) {
				bad(Lon, "%v, %v is outside China; longitude and latitude look swapped", lon, lat)
			} else {
				bad(Lon, "%v, %v is outside China", lon, lat)
			}
		} else {
			p = crs.ToWGS84(sys, p)
			r.Lon, r.Lat = p[0], p[1]
		}
	}

	if v := c.get(rec, IDNumber); v != "" {
		id := strings.ToUpper(v)
		if reason := CheckIDNumber(id); reason != "" {
			if sciRE.MatchString(v) {
				reason = "the spreadsheet stored the ID as a number and lost digits: format the column as text"
			}
			bad(IDNumber, "%s", reason)
		}
		r.IDNumber = id
	}
	if v := c.get(rec, Phone); v != "" {
		p, ok := NormalizePhone(v)
		if !ok {
			bad(Phone, "%q is not a mobile (11 digits, 1…) or landline (0 + area code + number) phone", v)
		}
		r.Phone = p
	}
	r.Members = 1
	if v := c.get(rec, Members); v != "" {
		n, ok := number(v)
		if !ok || n != math.Trunc(n) || n < 0 || n > 99 {
			bad(Members, "%q: want a whole number 0–99", v)
		} else {
			r.Members = int(n)
		}
	}
	if v := c.get(rec, Tags); v != "" {
		seen := map[string]bool{}
		for _, t := range tagSplitRE.Split(v, -1) {
			t = strings.TrimSpace(t)
			if t == "" || seen[t] {
				continue
			}
			if utf8.RuneCountInString(t) > 32 {
				bad(Tags, "tag %q is longer than 32 characters", t)
				continue
			}
			seen[t] = true
			r.Tags = append(r.Tags, t)
		}
	}
	return r, probs
}

func number(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// CheckIDNumber checks an 18-character resident ID number (GB 11643): 17
// digits and a check character (0–9 or X, upper case) by ISO 7064 MOD 11-2.
// It returns "" when valid, else the reason.
func CheckIDNumber(id string) string {
	if len(id) != 18 {
		return fmt.Sprintf("ID number has %d characters, want 18", utf8.RuneCountInString(id))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return "ID number: the first 17 characters must be digits"
		}
		sum += int(id[i]-'0') * idWeights[i]
	}
	want := "10X98765432"[sum%11]
	if id[17] != want {
		return fmt.Sprintf("ID number check digit is %c, want %c (ISO 7064 MOD 11-2)", id[17], want)
	}
	return ""
}

// NormalizePhone strips spaces, dashes and a +86/86 prefix and reports
// whether what is left is a mobile (1[3-9] + 9 digits) or a landline
// (0, area code and number, 10–12 digits).
func NormalizePhone(s string) (string, bool) {
	p := strings.NewReplacer(" ", "", "-", "", "—", "", "(", "", ")", "", "（", "", "）", "").Replace(s)
	p = strings.TrimPrefix(p, "+")
	if len(p) == 13 && strings.HasPrefix(p, "86") {
		p = p[2:]
	}
	return p, mobileRE.MatchString(p) || landlineRE.MatchString(p)
}
