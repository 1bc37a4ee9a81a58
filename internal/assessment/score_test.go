package assessment

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// example is the hand-worked month: grid A has two workers (w1, w2), grid B
// one (w3), grid C one (w4); 20 working days.
func example() Inputs {
	const h = 3600.0
	in := Inputs{
		Month: "2026-10", WorkDays: 20,
		Workers: []Worker{{1, "w1", "A"}, {2, "w2", "A"}, {3, "w3", "B"}, {4, "w4", "C"}},
		// A: (160 h + 120 h) / 2 workers / 20 days = 7 h a day → 30 % short of 10 h → −6.
		// B: 220 h / 20 = 11 h → nothing. C: 180 h / 20 = 9 h → 10 % short → −2.
		PatrolSeconds: map[int64]float64{1: 160 * h, 2: 120 * h, 3: 220 * h, 4: 180 * h},
		// A: (20 + 10) / 2 = 15 valid of 25 → 40 % short of 30 → −12, and w1's two invalid → −6.
		// B: 25 valid → nothing, one invalid → −3. C: 5 valid → 80 % short → −24.
		MissedVisits: []MissedVisit{{"A", 11, "1号楼101", "empty_nest/1"}, {"A", 12, "1号楼102", "*/12"}, {"A", 13, "2号楼201", "dibao/3"}},
		Absences:     []Absence{{Worker: 1, Session: 7, Title: "安全培训", Day: "2026-10-09"}},
		PhoneMisses:  []Check{{Worker: 2, ID: 21, At: "2026-10-15 10:00", By: "sup"}},
		DispatchMisses: []Check{{Worker: 3, ID: 31, At: "2026-10-20 09:00", Level: "county", By: "sup"},
			{Worker: 4, ID: 32, At: "2026-10-21 09:00", Level: "province", By: "sup"},
			{Worker: 4, ID: 33, At: "2026-10-22 09:00", Level: "city", By: "sup"}},
		PrevBottom: map[int64]int{4: 2, 1: 5},
	}
	add := func(worker int64, n int, valid, invalid bool) {
		for i := 0; i < n; i++ {
			in.Incidents = append(in.Incidents, Incident{Worker: worker, Seq: worker*1000 + int64(len(in.Incidents)), Day: "2026-10-12",
				Valid: valid, Invalid: invalid, JudgedBy: "centre01"})
		}
	}
	add(1, 20, true, false)
	add(1, 2, false, true)
	add(1, 3, false, false) // pending: neither
	add(2, 10, true, false)
	add(3, 25, true, false)
	add(3, 1, false, true)
	add(4, 5, true, false)
	return in
}

func itemPoints(w WorkerResult) map[string]float64 {
	m := map[string]float64{}
	for _, it := range w.Items {
		m[it.Item] = it.Points
	}
	return m
}

func TestScoreHandWorkedExample(t *testing.T) {
	r := Default()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	res := Score(r, example())
	want := map[string]struct {
		score, money float64
		rank         int
		items        map[string]float64
		bottom       bool
		months       int
		replace      bool
	}{
		// 100 − 2 (training) − 6 (visits) − 6 (patrol) − 12 − 6 (incidents) = 68
		"w1": {68, 0, 3, map[string]float64{"training": 8, "visits": 14, "patrol": 14, "incidents": 12, "phone": 20, "dispatch": 0}, false, 0, false},
		// 100 − 6 − 6 − 12 − 5 (phone) = 71, 30 yuan
		"w2": {71, 30, 2, map[string]float64{"training": 10, "visits": 14, "patrol": 14, "incidents": 18, "phone": 15, "dispatch": 0}, false, 0, false},
		// 100 − 3 (invalid) − 10 (county) = 87, 100 yuan
		"w3": {87, 100, 1, map[string]float64{"training": 10, "visits": 20, "patrol": 20, "incidents": 27, "phone": 20, "dispatch": -10}, false, 0, false},
		// 100 − 2 (patrol) − 24 (incidents) − 20 − 15 (dispatch) = 39, 270 yuan; third month at the bottom → replace
		"w4": {39, 270, 4, map[string]float64{"training": 10, "visits": 20, "patrol": 18, "incidents": 6, "phone": 20, "dispatch": -35}, true, 3, true},
	}
	if len(res.Workers) != 4 {
		t.Fatalf("%d workers", len(res.Workers))
	}
	for i, w := range res.Workers {
		x := want[w.Worker]
		if w.Score != x.score || w.Money != x.money || w.Rank != x.rank || w.Bottom != x.bottom || w.BottomMonths != x.months || w.Replace != x.replace {
			t.Errorf("%s: score %v money %v rank %d bottom %v/%d replace %v, want %+v", w.Worker, w.Score, w.Money, w.Rank, w.Bottom, w.BottomMonths, w.Replace, x)
		}
		if got := itemPoints(w); !reflect.DeepEqual(got, x.items) {
			t.Errorf("%s items %v, want %v", w.Worker, got, x.items)
		}
		if w.Rank != i+1 {
			t.Errorf("%s at %d has rank %d", w.Worker, i, w.Rank)
		}
		var sum, ded float64
		for _, it := range w.Items {
			sum += it.Points
			d := 0.0
			for _, dd := range it.Deductions {
				d += dd.Points
				if dd.Ref == "" || dd.Reason == "" || dd.Points > 0 {
					t.Errorf("%s %s: deduction %+v", w.Worker, it.Item, dd)
				}
			}
			if math.Abs(it.Max+d-it.Points) > 1e-9 {
				t.Errorf("%s %s: max %v + deductions %v != %v", w.Worker, it.Item, it.Max, d, it.Points)
			}
			ded += d
		}
		if math.Abs(sum-w.Score) > 1e-9 || math.Abs(100+ded-w.Score) > 1e-9 {
			t.Errorf("%s: items add to %v, 100%+v, score %v", w.Worker, sum, ded, w.Score)
		}
	}
	// Traceability: w1's invalid incidents name the record and who judged it.
	var refs []string
	for _, it := range res.Workers[2].Items {
		if it.Item == "incidents" {
			for _, d := range it.Deductions {
				refs = append(refs, d.Ref+" "+d.Reason)
			}
			if it.Measure == nil || *it.Measure != 15 {
				t.Errorf("w1 incidents measure %v, want the grid average 15", it.Measure)
			}
		}
	}
	if len(refs) != 3 || !strings.HasPrefix(refs[1], "incident:1020 ") || !strings.Contains(refs[1], "judged invalid by centre01") ||
		!strings.Contains(refs[0], "grid average of 2") {
		t.Errorf("w1 incident deductions %q", refs)
	}
}

func TestScoreStable(t *testing.T) {
	a, _ := json.Marshal(Score(Default(), example()))
	in := example()
	// Same facts in another order.
	in.Workers[0], in.Workers[3] = in.Workers[3], in.Workers[0]
	for i, j := 0, len(in.Incidents)-1; i < j; i, j = i+1, j-1 {
		in.Incidents[i], in.Incidents[j] = in.Incidents[j], in.Incidents[i]
	}
	b, _ := json.Marshal(Score(Default(), in))
	// Deductions within an item follow the inputs' order; compare totals and ranks.
	var ra, rb Result
	_ = json.Unmarshal(a, &ra)
	_ = json.Unmarshal(b, &rb)
	for i := range ra.Workers {
		if ra.Workers[i].Worker != rb.Workers[i].Worker || ra.Workers[i].Score != rb.Workers[i].Score || ra.Workers[i].Rank != rb.Workers[i].Rank {
			t.Errorf("order changed the result: %+v vs %+v", ra.Workers[i], rb.Workers[i])
		}
	}
}

func TestPerGridOff(t *testing.T) {
	r := Default()
	for i := range r.Items {
		r.Items[i].PerGrid = false
	}
	res := Score(r, example())
	for _, w := range res.Workers {
		p := itemPoints(w)
		switch w.Worker {
		case "w1": // 160 h / 20 = 8 h → −4; 20 valid → −6, invalid −6
			if p["patrol"] != 16 || p["incidents"] != 18 {
				t.Errorf("w1 alone: %v", p)
			}
		case "w2": // 6 h → −8; 10 valid → −18
			if p["patrol"] != 12 || p["incidents"] != 12 {
				t.Errorf("w2 alone: %v", p)
			}
		}
	}
}

func TestCapAndTies(t *testing.T) {
	r := Default()
	for i := range r.Items {
		if r.Items[i].Kind == Dispatch {
			r.Items[i].Cap = ptr(25)
		}
	}
	r.Ranking.BottomCount = 2
	in := Inputs{Month: "2026-10", WorkDays: 20,
		Workers:       []Worker{{1, "a", "A"}, {2, "b", "B"}, {3, "c", "C"}},
		PatrolSeconds: map[int64]float64{1: 200 * 3600, 2: 200 * 3600, 3: 200 * 3600},
		DispatchMisses: []Check{{Worker: 1, ID: 1, Level: "province"}, {Worker: 1, ID: 2, Level: "province"},
			{Worker: 2, ID: 3, Level: "county"}, {Worker: 3, ID: 4, Level: "county"}},
	}
	for w := int64(1); w <= 3; w++ {
		for i := 0; i < 25; i++ {
			in.Incidents = append(in.Incidents, Incident{Worker: w, Seq: w*100 + int64(i), Valid: true})
		}
	}
	res := Score(r, in)
	got := map[string]WorkerResult{}
	for _, w := range res.Workers {
		got[w.Worker] = w
	}
	// a: 20 + 20 capped at 25 → 75; money is not capped (300).
	if a := got["a"]; a.Score != 75 || a.Money != 300 || a.Rank != 3 || !a.Bottom {
		t.Errorf("a: %+v", a)
	}
	// b and c tie at 90: both rank 1, and both inside the bottom two.
	if b, c := got["b"], got["c"]; b.Rank != 1 || c.Rank != 1 || b.Score != 90 || !b.Bottom || !c.Bottom || b.Replace {
		t.Errorf("b %+v c %+v", b, c)
	}
	// Everyone at full marks: no bottom.
	full := Score(r, Inputs{Month: "2026-10", WorkDays: 20, Workers: []Worker{{1, "a", "A"}}, PatrolSeconds: map[int64]float64{1: 200 * 3600},
		Incidents: in.Incidents[:25]})
	if w := full.Workers[0]; w.Score != 100 || w.Bottom {
		t.Errorf("full marks: %+v", w)
	}
}

func TestValidate(t *testing.T) {
	bad := map[string]func(*Rules){
		"items do not add up": func(r *Rules) { r.Items[0].Points = 12 },
		"no items":            func(r *Rules) { r.Items = nil },
		"duplicate code":      func(r *Rules) { r.Items[1].Code = r.Items[0].Code },
		"unknown kind":        func(r *Rules) { r.Items[0].Kind = "smile" },
		"negative deduction":  func(r *Rules) { r.Items[0].Each.Points = -2 },
		"no patrol target":    func(r *Rules) { r.Items[2].Target = 0 },
		"patrol over 24 h":    func(r *Rules) { r.Items[2].Target = 25 },
		"unknown level":       func(r *Rules) { r.Items[5].ByLevel["town"] = Penalty{Points: 1} },
		"no levels":           func(r *Rules) { r.Items[5].ByLevel = nil },
		"negative cap":        func(r *Rules) { r.Items[0].Cap = ptr(-1) },
		"grades not falling":  func(r *Rules) { r.Grades[1].Min = ptr(95) },
		"last grade with min": func(r *Rules) { r.Grades[3].Min = ptr(0) },
		"one grade":           func(r *Rules) { r.Grades = r.Grades[:1] },
		"bottom months 0":     func(r *Rules) { r.Ranking.BottomMonths = 0 },
		"zero total":          func(r *Rules) { r.Total = 0 },
		"empty name":          func(r *Rules) { r.Items[0].Name = "" },
	}
	for name, f := range bad {
		r := Default()
		f(&r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	r := Default()
	r.Items[0].Points, r.Items[1].Points = 15, 15 // other weights, same total
	if err := r.Validate(); err != nil {
		t.Errorf("reweighted: %v", err)
	}
	r = Default()
	r.Items[0].Points = 10.5
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "add up to 100.5") {
		t.Errorf("sum error: %v", err)
	}
}

func TestYearGrade(t *testing.T) {
	r := Default()
	cases := []struct {
		scores []float64
		avg    float64
		grade  string
	}{
		{[]float64{90, 90, 90}, 90, "优秀"},
		{[]float64{94.99, 84.99}, 89.99, "良好"}, {[]float64{95, 84.99}, 90, "优秀"},
		{[]float64{80}, 80, "良好"},
		{[]float64{60, 70, 50}, 60, "合格"},
		{[]float64{59.99}, 59.99, "不合格"},
		{[]float64{-20, 30}, 5, "不合格"},
		{nil, 0, ""},
	}
	for _, c := range cases {
		avg, g := r.YearGrade(c.scores)
		if avg != c.avg || g != c.grade {
			t.Errorf("%v: %v %s, want %v %s", c.scores, avg, g, c.avg, c.grade)
		}
	}
}

func TestRulesJSONRoundTrip(t *testing.T) {
	b, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	var r Rules
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, Default()) {
		t.Errorf("round trip changed the rules:\n%s", b)
	}
}
