// Package assessment scores grid workers month by month (网格员效能评价) from
// facts the records already hold. It is pure: the rule set is data, the
// inputs are plain values the store collects, and Score is deterministic, so
// the same records and rules always give the same result.
package assessment

import (
	"fmt"
	"math"
	"slices"
)

// Item kinds: what an item measures, and so which inputs it reads.
const (
	Training  = "training"  // 培训: unexcused absences
	Visits    = "visits"    // 矛盾排查/房屋隐患/重点人员走访: missing visits
	Patrol    = "patrol"    // 巡查时长: hours a working day against a target
	Incidents = "incidents" // 事件上报: valid reports against a target, invalid ones deducted
	Phone     = "phone"     // 电话畅通: unanswered spot-check calls
	Dispatch  = "dispatch"  // 调度抽查: missed dispatch calls by the level that found them
)

// Kinds lists every item kind.
var Kinds = []string{Training, Visits, Patrol, Incidents, Phone, Dispatch}

// Dispatch check levels.
var Levels = []string{"province", "city", "county"}

// Penalty is what one occurrence costs.
type Penalty struct {
	Points float64 `json:"points"` // points deducted (positive)
	Money  float64 `json:"money"`  // yuan deducted from performance pay
}

// Item is one line of the scheme.
type Item struct {
	Code   string  `json:"code"`   // unique in the rule set
	Name   string  `json:"name"`   // as printed (Chinese)
	Kind   string  `json:"kind"`   // one of Kinds
	Points float64 `json:"points"` // full marks of the item (0: deductions only)
	// Target: patrol hours a working day, or valid incidents a month.
	Target float64 `json:"target,omitempty"`
	// PerGrid measures patrol/incidents on the grid's average per worker.
	PerGrid bool `json:"per_grid,omitempty"`
	// Per occurrence (absence, missing visit, invalid incident, unanswered call).
	Each Penalty `json:"each"`
	// Dispatch: the penalty by the level of the check.
	ByLevel map[string]Penalty `json:"by_level,omitempty"`
	// Cap bounds the points deducted within the item; nil: no cap.
	Cap *float64 `json:"cap,omitempty"`
}

// Grade is a yearly grade: from Min (average monthly score) up; the last
// grade has no Min and takes the rest.
type Grade struct {
	Name string   `json:"name"`
	Min  *float64 `json:"min,omitempty"`
}

// Ranking says who is at the bottom and when that becomes a flag.
type Ranking struct {
	BottomCount  int `json:"bottom_count"`  // the lowest N places (ties included)
	BottomMonths int `json:"bottom_months"` // consecutive months at the bottom that raise the flag
}

// Rules is a scheme: items that add up to Total, ranking and grades.
type Rules struct {
	Name    string  `json:"name"`
	Total   float64 `json:"total"`
	Items   []Item  `json:"items"`
	Ranking Ranking `json:"ranking"`
	Grades  []Grade `json:"grades"`
}

// hundredths: points and yuan are kept as integer hundredths, so item
// points add up to the score exactly.
func hundredths(f float64) int64 { return int64(math.Round(f * 100)) }

func fromHundredths(n int64) float64 { return float64(n) / 100 }

func ptr(f float64) *float64 { return &f }

// Default is the published scheme (城乡网格员常态化效能评价): 100 points.
func Default() Rules {
	return Rules{
		Name:  "城乡网格员常态化效能评价 (default)",
		Total: 100,
		Items: []Item{
			{Code: "training", Name: "培训学习", Kind: Training, Points: 10, Each: Penalty{Points: 2}},
			{Code: "visits", Name: "矛盾排查·房屋隐患·重点人员走访", Kind: Visits, Points: 20, Each: Penalty{Points: 2}},
			{Code: "patrol", Name: "巡查时长", Kind: Patrol, Points: 20, Target: 10, PerGrid: true},
			{Code: "incidents", Name: "事件上报", Kind: Incidents, Points: 30, Target: 25, PerGrid: true, Each: Penalty{Points: 3}},
			{Code: "phone", Name: "电话畅通", Kind: Phone, Points: 20, Each: Penalty{Points: 5, Money: 30}},
			{Code: "dispatch", Name: "调度抽查", Kind: Dispatch, Points: 0, ByLevel: map[string]Penalty{
				"province": {Points: 20, Money: 150}, "city": {Points: 15, Money: 120}, "county": {Points: 10, Money: 100}}},
		},
		Ranking: Ranking{BottomCount: 1, BottomMonths: 3},
		Grades: []Grade{{Name: "优秀", Min: ptr(90)}, {Name: "良好", Min: ptr(80)}, {Name: "合格", Min: ptr(60)},
			{Name: "不合格"}},
	}
}

// Validate checks a rule set; every error names what is wrong.
func (r Rules) Validate() error {
	if r.Total <= 0 || r.Total > 1000 {
		return fmt.Errorf("total %g: want more than 0, at most 1000", r.Total)
	}
	if len(r.Items) == 0 || len(r.Items) > 30 {
		return fmt.Errorf("items: want 1 to 30, got %d", len(r.Items))
	}
	var sum int64
	seen := map[string]bool{}
	for i, it := range r.Items {
		at := fmt.Sprintf("items[%d] %q", i, it.Code)
		if it.Code == "" || len(it.Code) > 32 || seen[it.Code] {
			return fmt.Errorf("%s: want a unique code of 1 to 32 characters", at)
		}
		seen[it.Code] = true
		if it.Name == "" || len([]rune(it.Name)) > 64 {
			return fmt.Errorf("%s: want a name of 1 to 64 characters", at)
		}
		if !slices.Contains(Kinds, it.Kind) {
			return fmt.Errorf("%s: kind %q is not one of %v", at, it.Kind, Kinds)
		}
		if !(it.Points >= 0) || it.Points > r.Total {
			return fmt.Errorf("%s: points %g: want 0 to the total", at, it.Points)
		}
		sum += hundredths(it.Points)
		if it.Each.Points < 0 || it.Each.Money < 0 {
			return fmt.Errorf("%s: deductions are given as positive numbers", at)
		}
		if it.Cap != nil && *it.Cap < 0 {
			return fmt.Errorf("%s: cap %g: want 0 or more (or none)", at, *it.Cap)
		}
		switch it.Kind {
		case Patrol, Incidents:
			if it.Target <= 0 || (it.Kind == Patrol && it.Target > 24) {
				return fmt.Errorf("%s: target %g: want a positive target (patrol at most 24 h a day)", at, it.Target)
			}
		case Dispatch:
			if len(it.ByLevel) == 0 {
				return fmt.Errorf("%s: by_level: want a penalty for at least one of %v", at, Levels)
			}
			for lv, p := range it.ByLevel {
				if !slices.Contains(Levels, lv) || p.Points < 0 || p.Money < 0 {
					return fmt.Errorf("%s: by_level %q: want one of %v with positive penalties", at, lv, Levels)
				}
			}
		}
	}
	if sum != hundredths(r.Total) {
		return fmt.Errorf("items add up to %g, not the total %g", fromHundredths(sum), r.Total)
	}
	if r.Ranking.BottomCount < 1 || r.Ranking.BottomMonths < 1 || r.Ranking.BottomMonths > 12 {
		return fmt.Errorf("ranking: want bottom_count >= 1 and bottom_months 1 to 12")
	}
	if len(r.Grades) < 2 {
		return fmt.Errorf("grades: want at least two")
	}
	for i, g := range r.Grades {
		last := i == len(r.Grades)-1
		if g.Name == "" {
			return fmt.Errorf("grades[%d]: want a name", i)
		}
		if last != (g.Min == nil) {
			return fmt.Errorf("grades[%d] %s: every grade but the last needs a min; the last has none", i, g.Name)
		}
		if !last && i > 0 && *g.Min >= *r.Grades[i-1].Min {
			return fmt.Errorf("grades[%d] %s: mins must go down", i, g.Name)
		}
	}
	return nil
}

// YearGrade grades a year from its monthly scores (their average).
func (r Rules) YearGrade(scores []float64) (avg float64, grade string) {
	if len(scores) == 0 {
		return 0, ""
	}
	var sum int64
	for _, s := range scores {
		sum += hundredths(s)
	}
	avgH := int64(math.Round(float64(sum) / float64(len(scores))))
	for _, g := range r.Grades {
		if g.Min == nil || avgH >= hundredths(*g.Min) {
			return fromHundredths(avgH), g.Name
		}
	}
	return fromHundredths(avgH), ""
}
