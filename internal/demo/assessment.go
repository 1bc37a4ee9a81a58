package demo

import (
	"context"
	"fmt"
	"time"

	"wangge/internal/workcal"
)

// assessment records what supervisors would have noted in the last full
// month, so the assessment (issue 18) has a month to score: one training
// session per street with a few excused and missing workers, two phone spot
// checks per worker (some unanswered) and a few missed dispatch calls.
func (l *loader) assessment(ctx context.Context, grids []*grid) error {
	y, m, _ := l.opt.Today.Date()
	month := time.Date(y, m, 1, 0, 0, 0, 0, workcal.CST).AddDate(0, -1, 0)
	streets := map[string]bool{}
	var sUnits []string
	for _, g := range grids {
		if s := g.code[:9] + "000"; !streets[s] {
			streets[s] = true
			sUnits = append(sUnits, s)
		}
	}
	held := month.AddDate(0, 0, 9).Format(time.DateOnly)
	var aUser []int64
	var aStreet, aStatus []string
	var pUser []int64
	var pAt []time.Time
	var pAnswered []bool
	var dUser []int64
	var dAt []time.Time
	var dLevel []string
	levels := []string{"province", "city", "county"}
	at := func() time.Time {
		return month.Add(time.Duration(l.rng.IntN(27*24)+9) * time.Hour).Add(time.Duration(l.rng.IntN(60)) * time.Minute)
	}
	for _, g := range grids {
		if g.workerID == 0 {
			continue
		}
		switch r := l.rng.IntN(100); {
		case r < 85:
			aUser, aStreet, aStatus = append(aUser, g.workerID), append(aStreet, g.code[:9]+"000"), append(aStatus, "present")
		case r < 93:
			aUser, aStreet, aStatus = append(aUser, g.workerID), append(aStreet, g.code[:9]+"000"), append(aStatus, "excused")
		} // else: not listed, an unexcused absence
		for range 2 {
			pUser, pAt, pAnswered = append(pUser, g.workerID), append(pAt, at()), append(pAnswered, l.rng.IntN(100) < 85)
		}
		if l.rng.IntN(100) < 12 {
			dUser, dAt, dLevel = append(dUser, g.workerID), append(dAt, at()), append(dLevel, levels[l.rng.IntN(3)])
		}
	}
	if _, err := l.tx.Exec(ctx, `
WITH s AS (
    INSERT INTO training_sessions (region_code, unit_code, title, held_on)
    SELECT left(u, 6), u, '网格员业务培训（示范）', $2::date FROM unnest($1::text[]) u RETURNING id, unit_code
)
INSERT INTO training_attendance (session_id, user_id, region_code, status)
SELECT s.id, a.user_id, left(s.unit_code, 6), a.status
FROM unnest($3::bigint[], $4::text[], $5::text[]) AS a(user_id, street, status) JOIN s ON s.unit_code = a.street`,
		sUnits, held, aUser, aStreet, aStatus); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	if _, err := l.tx.Exec(ctx, `INSERT INTO phone_spot_checks (region_code, user_id, called_at, answered, note)
        SELECT $1, u, t, a, '示范抽查' FROM unnest($2::bigint[], $3::timestamptz[], $4::bool[]) AS x(u, t, a)`,
		l.opt.Region, pUser, pAt, pAnswered); err != nil {
		return fmt.Errorf("phone checks: %w", err)
	}
	if _, err := l.tx.Exec(ctx, `INSERT INTO dispatch_checks (region_code, user_id, level, checked_at, note)
        SELECT $1, u, lv, t, '示范调度抽查' FROM unnest($2::bigint[], $3::timestamptz[], $4::text[]) AS x(u, t, lv)`,
		l.opt.Region, dUser, dAt, dLevel); err != nil {
		return fmt.Errorf("dispatch checks: %w", err)
	}
	return nil
}
