package assessment

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Worker is one grid worker of the unit in the month.
type Worker struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Grid string `json:"grid_code"`
}

// Incident is one report of a worker in the month: Valid once accepted into
// the workflow, Invalid once judged invalid (作废); neither while pending.
type Incident struct {
	Worker   int64
	Seq      int64
	Day      string // China date it was reported
	Valid    bool
	Invalid  bool
	JudgedBy string // who judged it invalid
}

// MissedVisit is a household of a grid whose visit period ended in the
// month without a visit.
type MissedVisit struct {
	Grid      string
	Household int64
	Address   string
	Rule      string // the rule's category and period, as printed
}

// Absence is a worker's unexcused absence from a training session.
type Absence struct {
	Worker  int64
	Session int64
	Title   string
	Day     string
}

// Check is an unanswered phone spot check or a missed dispatch call.
type Check struct {
	Worker int64
	ID     int64
	At     string // China time, as printed
	Level  string // dispatch checks: province, city or county
	By     string // who recorded it
}

// Inputs are the month's facts, as the store reads them from the records.
type Inputs struct {
	Month          string // YYYY-MM
	WorkDays       int    // working days of the month on the calendar
	Workers        []Worker
	PatrolSeconds  map[int64]float64 // patrol time of each worker in the month
	Incidents      []Incident
	MissedVisits   []MissedVisit
	Absences       []Absence
	PhoneMisses    []Check
	DispatchMisses []Check
	// PrevBottom: consecutive months each worker was at the bottom right
	// before this month.
	PrevBottom map[int64]int
}

// Deduction is one cause of lost points, traceable to its record.
type Deduction struct {
	Points float64 `json:"points"` // negative
	Money  float64 `json:"money,omitempty"`
	Reason string  `json:"reason"`
	Ref    string  `json:"ref"` // the record: incident:SEQ, household:ID, training:ID, phone_check:ID, dispatch_check:ID, patrol:USER:MONTH
}

// ItemResult is a worker's result on one item: Max plus the deductions.
type ItemResult struct {
	Item       string      `json:"item"`
	Name       string      `json:"name"`
	Max        float64     `json:"max"`
	Points     float64     `json:"points"`
	Measure    *float64    `json:"measure,omitempty"` // patrol h/day or valid incidents, as scored
	Deductions []Deduction `json:"deductions"`
}

// WorkerResult is one worker's month.
type WorkerResult struct {
	WorkerID     int64        `json:"worker_id"`
	Worker       string       `json:"worker"`
	Grid         string       `json:"grid_code"`
	Score        float64      `json:"score"`
	Rank         int          `json:"rank"`
	Money        float64      `json:"money"` // yuan deducted
	Bottom       bool         `json:"bottom"`
	BottomMonths int          `json:"bottom_months"` // consecutive, this month included
	Replace      bool         `json:"replace"`       // at the bottom long enough with tasks undone: 须更换
	Items        []ItemResult `json:"items"`
}

// Result is a unit's month.
type Result struct {
	Month   string         `json:"month"`
	Workers []WorkerResult `json:"workers"`
}

type ded struct {
	points, money int64 // hundredths, points positive here
	reason, ref   string
}

// Score computes the month. Rules must be valid.
func Score(r Rules, in Inputs) Result {
	perGrid := map[string][]int64{}
	for _, w := range in.Workers {
		perGrid[w.Grid] = append(perGrid[w.Grid], w.ID)
	}
	absences, phone, dispatch, incs := map[int64][]Absence{}, map[int64][]Check{}, map[int64][]Check{}, map[int64][]Incident{}
	for _, a := range in.Absences {
		absences[a.Worker] = append(absences[a.Worker], a)
	}
	for _, c := range in.PhoneMisses {
		phone[c.Worker] = append(phone[c.Worker], c)
	}
	for _, c := range in.DispatchMisses {
		dispatch[c.Worker] = append(dispatch[c.Worker], c)
	}
	valid := map[int64]int{}
	for _, x := range in.Incidents {
		if x.Valid {
			valid[x.Worker]++
		}
		incs[x.Worker] = append(incs[x.Worker], x)
	}
	missed := map[string][]MissedVisit{}
	for _, m := range in.MissedVisits {
		missed[m.Grid] = append(missed[m.Grid], m)
	}
	res := Result{Month: in.Month, Workers: make([]WorkerResult, 0, len(in.Workers))}

	for _, w := range in.Workers {
		wr := WorkerResult{WorkerID: w.ID, Worker: w.Name, Grid: w.Grid}
		var total, money int64
		for _, it := range r.Items {
			var ds []ded
			var measure *float64
			switch it.Kind {
			case Training:
				for _, a := range absences[w.ID] {
					ds = append(ds, each(it, fmt.Sprintf("培训缺席 unexcused absence: %s %s", a.Day, a.Title), fmt.Sprintf("training:%d", a.Session)))
				}
			case Phone:
				for _, c := range phone[w.ID] {
					ds = append(ds, each(it, fmt.Sprintf("电话抽查未接 unanswered spot-check call %s (recorded by %s)", c.At, c.By), fmt.Sprintf("phone_check:%d", c.ID)))
				}
			case Dispatch:
				for _, c := range dispatch[w.ID] {
					p := it.ByLevel[c.Level]
					ds = append(ds, ded{hundredths(p.Points), hundredths(p.Money),
						fmt.Sprintf("%s调度未应答 missed %s dispatch call %s (recorded by %s)", levelZh[c.Level], c.Level, c.At, c.By),
						fmt.Sprintf("dispatch_check:%d", c.ID)})
				}
			case Visits:
				for _, m := range missed[w.Grid] {
					ds = append(ds, each(it, fmt.Sprintf("未走访 household %d %s not visited (%s)", m.Household, m.Address, m.Rule), fmt.Sprintf("household:%d", m.Household)))
				}
			case Patrol:
				secs := in.PatrolSeconds[w.ID]
				if it.PerGrid {
					secs = gridAverage(perGrid[w.Grid], func(id int64) float64 { return in.PatrolSeconds[id] })
				}
				hours := 0.0
				if in.WorkDays > 0 {
					hours = secs / 3600 / float64(in.WorkDays)
				}
				m := math.Round(hours*100) / 100
				measure = &m
				if d := shortfall(it, m); d > 0 {
					ds = append(ds, ded{points: d, reason: fmt.Sprintf("巡查不足 patrol %.2f h a working day (%d working days%s) against %g h",
						m, in.WorkDays, gridNote(it.PerGrid, len(perGrid[w.Grid])), it.Target), ref: fmt.Sprintf("patrol:%d:%s", w.ID, in.Month)})
				}
			case Incidents:
				n := float64(valid[w.ID])
				if it.PerGrid {
					n = gridAverage(perGrid[w.Grid], func(id int64) float64 { return float64(valid[id]) })
				}
				m := math.Round(n*100) / 100
				measure = &m
				if d := shortfall(it, m); d > 0 {
					ds = append(ds, ded{points: d, reason: fmt.Sprintf("有效事件不足 %.2f valid incidents%s against %g",
						m, gridNote(it.PerGrid, len(perGrid[w.Grid])), it.Target), ref: fmt.Sprintf("incidents:%d:%s", w.ID, in.Month)})
				}
				for _, x := range incs[w.ID] {
					if x.Invalid {
						if x.JudgedBy == "" {
							x.JudgedBy = "an account not on record" // cases loaded without their history
						}
						ds = append(ds, each(it, fmt.Sprintf("无效事件 incident %s #%d judged invalid by %s", x.Day, x.Seq, x.JudgedBy), fmt.Sprintf("incident:%d", x.Seq)))
					}
				}
			}
			ir := ItemResult{Item: it.Code, Name: it.Name, Max: it.Points, Measure: measure, Deductions: []Deduction{}}
			pts := hundredths(it.Points)
			var taken int64
			for _, d := range ds {
				p := d.points
				reason := d.reason
				if it.Cap != nil {
					if left := hundredths(*it.Cap) - taken; p > left {
						p = max(left, 0)
						reason += " (cap reached 封顶)"
					}
				}
				taken += p
				money += d.money
				ir.Deductions = append(ir.Deductions, Deduction{Points: -fromHundredths(p), Money: fromHundredths(d.money), Reason: reason, Ref: d.ref})
			}
			ir.Points = fromHundredths(pts - taken)
			total += pts - taken
			wr.Items = append(wr.Items, ir)
		}
		wr.Score, wr.Money = fromHundredths(total), fromHundredths(money)
		res.Workers = append(res.Workers, wr)
	}
	rank(r, &res, in.PrevBottom)
	return res
}

func each(it Item, reason, ref string) ded {
	return ded{hundredths(it.Each.Points), hundredths(it.Each.Money), reason, ref}
}

var levelZh = map[string]string{"province": "省级", "city": "市级", "county": "县级"}

func gridNote(perGrid bool, n int) string {
	if !perGrid {
		return ""
	}
	return fmt.Sprintf(", grid average of %d worker(s)", n)
}

// gridAverage: the grid's figure shared among its workers.
func gridAverage(ids []int64, f func(int64) float64) float64 {
	if len(ids) == 0 {
		return 0
	}
	var s float64
	for _, id := range ids {
		s += f(id)
	}
	return s / float64(len(ids))
}

// shortfall: the item's points in proportion to the share of the target
// not reached (hundredths).
func shortfall(it Item, measure float64) int64 {
	if measure >= it.Target {
		return 0
	}
	return hundredths(it.Points * (1 - measure/it.Target))
}

// rank orders by score (ties share a rank, then by name for the table),
// marks the bottom places and the replacement flag.
func rank(r Rules, res *Result, prev map[int64]int) {
	ws := res.Workers
	slices.SortStableFunc(ws, func(a, b WorkerResult) int {
		if c := cmp.Compare(hundredths(b.Score), hundredths(a.Score)); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Worker, b.Worker), cmp.Compare(a.WorkerID, b.WorkerID))
	})
	for i := range ws {
		if i > 0 && hundredths(ws[i].Score) == hundredths(ws[i-1].Score) {
			ws[i].Rank = ws[i-1].Rank
		} else {
			ws[i].Rank = i + 1
		}
	}
	if len(ws) == 0 {
		return
	}
	// The bottom: every worker scoring no more than the N-th lowest score.
	n := min(r.Ranking.BottomCount, len(ws))
	cut := hundredths(ws[len(ws)-n].Score)
	full := hundredths(r.Total)
	for i := range ws {
		w := &ws[i]
		// Only workers with tasks undone (something deducted) are at the bottom:
		// a unit where everyone scores full marks has no bottom.
		w.Bottom = hundredths(w.Score) <= cut && hundredths(w.Score) < full
		if w.Bottom {
			w.BottomMonths = prev[w.WorkerID] + 1
		}
		w.Replace = w.Bottom && w.BottomMonths >= r.Ranking.BottomMonths
	}
}
