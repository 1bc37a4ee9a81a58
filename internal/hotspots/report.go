package hotspots

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/printable"
	"wangge/internal/workcal"
)

// typeNames are the handling types as the report prints them.
var typeNames = map[string]string{"": "全部 all", "routine": "常规 routine", "coordination": "协调 coordination",
	"emergency": "应急 emergency", "approval": "审批 approval"}

// topBins is how many of the most significant hot bins the report lists.
const topBins = 12

// Report is the query's map as a printable meeting report: the bins the
// GeoJSON answer has, with the same classes and figures, counted per class
// and trend, and the unit's outline and names.
func (s *Service) Report(ctx context.Context, q Query, now time.Time) (printable.HotspotReport, error) {
	r, _, err := s.Map(ctx, q)
	if err != nil {
		return printable.HotspotReport{}, err
	}
	refs, err := s.st.UnitRefs(ctx, []string{q.Parent}, nil, nil)
	if err != nil {
		return printable.HotspotReport{}, err
	}
	u, ok := refs[q.Parent]
	if !ok {
		return printable.HotspotReport{}, apperr.New(apperr.ErrNotFound, "no unit %s", q.Parent)
	}
	category := "全部类别 all categories"
	if q.Category != "" {
		cats, err := s.st.IncidentCategories(ctx)
		if err != nil {
			return printable.HotspotReport{}, err
		}
		for _, c := range cats {
			if c.Code == q.Category {
				category = c.NameZh + " " + c.NameEn
			}
		}
	}
	bins := "网格 grids"
	if r.HexSizeM > 0 {
		bins = fmt.Sprintf("六边形 hexagons, %g m", r.HexSizeM)
	}
	value := "事件数 case counts"
	if q.Value == "rate" {
		value = "每千人事件率 cases per 1,000 residents"
	}
	const tf = "2006-01-02 15:04"
	rep := printable.HotspotReport{UnitCode: q.Parent, UnitName: u.Name, Outline: u.Geom,
		Window:   q.From.In(workcal.CST).Format(tf) + " – " + q.To.In(workcal.CST).Format(tf) + " (北京时间 China time)",
		Category: category, Type: typeNames[q.Type], Bins: bins, Value: value, Total: r.Total, Insufficient: r.Insufficient,
		Statistic: "Getis-Ord Gi*（二值权重，含自身 binary weights, self included），双侧正态 p，Benjamini–Hochberg FDR；邻域 weights: " + r.Neighbours,
		Printed:   now}
	classAt := map[string]int{}
	for i, c := range printable.HotspotClasses {
		classAt[c.Key] = i
		rep.Classes = append(rep.Classes, printable.HotspotCount{Key: c.Key})
	}
	trendAt := map[string]int{}
	if q.Trend {
		for i, c := range printable.HotspotTrends {
			trendAt[c.Key] = i
			rep.Trends = append(rep.Trends, printable.HotspotCount{Key: c.Key})
		}
	}
	for _, b := range r.Bins {
		if !r.shown(b) {
			continue
		}
		cell := printable.HotspotCell{Geom: b.Geom, Class: b.Class.String()}
		k := &rep.Classes[classAt[cell.Class]]
		k.Bins++
		k.Cases += b.Count
		if q.Trend {
			cell.Trend = b.Trend.String()
			if i, ok := trendAt[cell.Trend]; ok {
				rep.Trends[i].Bins++
				rep.Trends[i].Cases += b.Count
			}
		}
		rep.Cells = append(rep.Cells, cell)
		rep.Shown++
		if b.Class > 0 {
			x := printable.HotspotBin{ID: b.ID, Name: b.Name, Cases: b.Count, Z: round(b.Z), P: b.P, Class: cell.Class}
			if b.Residents > 0 {
				v := round(1000 * float64(b.Count) / float64(b.Residents))
				x.Rate = &v
			}
			rep.Top = append(rep.Top, x)
		}
	}
	slices.SortFunc(rep.Top, func(a, b printable.HotspotBin) int { return cmp.Or(cmp.Compare(b.Z, a.Z), cmp.Compare(a.ID, b.ID)) })
	rep.Top = rep.Top[:min(len(rep.Top), topBins)]
	return rep, nil
}
