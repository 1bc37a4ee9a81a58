package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"wangge/internal/incidents"
)

type batchAnswer struct {
	Results []struct {
		ID       string
		Status   int
		Incident *caseResp
		Error    *struct{ Code, Message string }
	}
}

func batchBody(reports ...string) string {
	return `{"reports": [` + strings.Join(reports, ",") + `]}`
}

// sendBatch posts a batch as tok and wants 200 with one answer per report.
func (w *incidentWorld) sendBatch(t *testing.T, tok, body string, n int) batchAnswer {
	t.Helper()
	resp, b := do(t, "POST", w.base+"/api/incidents/batch", tok, body)
	var a batchAnswer
	if resp.StatusCode != 200 || json.Unmarshal(b, &a) != nil || len(a.Results) != n {
		t.Fatalf("batch: %d %s, want 200 with %d results", resp.StatusCode, b, n)
	}
	return a
}

func TestIncidentBatchStoresTheGoodReportsOnceAndAnswersEach(t *testing.T) {
	w := newIncidentWorld(t)
	lon, lat := w.inGrid[0], w.inGrid[1]
	at := time.Now().Add(-30 * time.Hour).Truncate(time.Second) // kept on the phone for a day
	stored := newCaseID()
	resp, b := do(t, "POST", w.base+"/api/incidents", w.officer, reportBody(stored, "sanitation.litter", lon, lat, "", "已上报 sent before", at))
	if resp.StatusCode != 201 {
		t.Fatalf("single report: %d %s", resp.StatusCode, b)
	}
	good := []string{newCaseID(), newCaseID(), newCaseID()}
	dup := newCaseID()
	bodies := []string{
		reportBody(good[0], "sanitation.litter", lon, lat, "", "离线一 offline one", at),
		reportBody("case-7", "sanitation.litter", lon, lat, "", "x", at), // not a UUID
		reportBody(good[1], "fire.ebike", lon, lat, "wgs84", "离线二 offline two", at.Add(time.Minute)),
		reportBody(newCaseID(), "no.such", lon, lat, "", "x", at),                    // unknown category
		reportBody(stored, "sanitation.litter", lon, lat, "", "已上报 sent before", at), // retry of a stored one
		reportBody(stored, "sanitation.litter", lon, lat, "", "另一件 other body", at),  // other body, same id
		fmt.Sprintf(`{"id":%q,"category":"sanitation.litter","lon":%v,"lat":%v,"description":"x","reported_at":%q,"age":3}`,
			newCaseID(), lon, lat, at.Format(time.RFC3339)), // unknown field
		// A photo that was never uploaded: refused, and its case not written.
		fmt.Sprintf(`{"id":%q,"category":"sanitation.litter","lon":%v,"lat":%v,"description":"带照片 with photo","reported_at":%q,"photos":[%q]}`,
			newCaseID(), lon, lat, at.Format(time.RFC3339), newCaseID()),
		reportBody(dup, "sanitation.litter", lon, lat, "", "重复 twice in one batch", at),
		reportBody(dup, "sanitation.litter", lon, lat, "", "重复 twice in one batch", at),
		reportBody(good[2], "safety.gas", lon, lat, "", "离线三 offline three", at), // emergency: escalated at once
		`[1, 2]`,
	}
	cases, events, audits := w.count(t, `SELECT count(*) FROM incidents`), w.count(t, `SELECT count(*) FROM incident_events`),
		w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'incident.report'`)
	want := []struct {
		status int
		code   string
	}{{201, ""}, {400, "invalid"}, {201, ""}, {400, "invalid"}, {200, ""}, {409, "conflict"}, {400, "invalid"},
		{400, "invalid"}, {201, ""}, {200, ""}, {201, ""}, {400, "invalid"}}
	a := w.sendBatch(t, w.officer, batchBody(bodies...), len(bodies))
	for i, r := range a.Results {
		switch {
		case r.Status != want[i].status:
			t.Errorf("report %d: %d %+v, want %d", i, r.Status, r.Error, want[i].status)
		case want[i].code != "" && (r.Error == nil || r.Error.Code != want[i].code || r.Error.Message == "" || r.Incident != nil):
			t.Errorf("report %d: error %+v, want code %s with a message and no case", i, r.Error, want[i].code)
		case want[i].code == "" && (r.Incident == nil || r.Incident.ID != r.ID || r.Incident.State != "reported" || r.Incident.GridCode == nil):
			t.Errorf("report %d: case %+v, want the stored case placed in its grid", i, r.Incident)
		}
	}
	if a.Results[0].Incident != nil && !a.Results[0].Incident.ReportedAt.Equal(at) {
		t.Errorf("batch report kept reported_at %s, want the device's %s", a.Results[0].Incident.ReportedAt, at)
	}
	if a.Results[1].ID != "case-7" || a.Results[4].ID != stored || a.Results[8].ID != dup {
		t.Errorf("answers are not in the order sent: %+v", a.Results)
	}
	// Four new cases (three good, the duplicate once), each with one history
	// entry and one audit line; nothing of the refused ones.
	n, e, l := w.count(t, `SELECT count(*) FROM incidents`), w.count(t, `SELECT count(*) FROM incident_events`),
		w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'incident.report'`)
	if n-cases != 4 || e-events < 4 || l-audits != 4 {
		t.Errorf("batch stored %d cases, %d events, %d audit lines; want 4 cases, ≥ 4 events (emergencies add one), 4 audit lines", n-cases, e-events, l-audits)
	}
	if c := w.count(t, `SELECT count(*) FROM incidents WHERE description = '带照片 with photo'`); c != 0 {
		t.Errorf("the report with a missing photo left %d cases", c)
	}

	// The phone did not hear the answer and sends the whole batch again:
	// the stored ones answer 200 and nothing is stored twice.
	a = w.sendBatch(t, w.officer, batchBody(bodies...), len(bodies))
	for i, r := range a.Results {
		wantS := want[i].status
		if wantS == 201 {
			wantS = 200
		}
		if r.Status != wantS {
			t.Errorf("retry, report %d: %d, want %d", i, r.Status, wantS)
		}
	}
	if c := w.count(t, `SELECT count(*) FROM incidents`); c != n {
		t.Errorf("the retried batch stored %d more cases", c-n)
	}
}

func TestIncidentBatchSentFourTimesAtOnceStoresEachReportOnce(t *testing.T) {
	w := newIncidentWorld(t)
	at := time.Now().Add(-2 * time.Hour)
	const size = 40
	ids := make([]string, size)
	bodies := make([]string, size)
	for i := range bodies {
		ids[i] = newCaseID()
		bodies[i] = reportBody(ids[i], "sanitation.litter", w.inGrid[0]+float64(i)*1e-6, w.inGrid[1], "", fmt.Sprintf("并发 racing %d", i), at)
	}
	body := batchBody(bodies...)
	var mu sync.Mutex
	var wg sync.WaitGroup
	created := map[string]int{}
	start := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a := w.sendBatch(t, w.officer, body, size)
			mu.Lock()
			defer mu.Unlock()
			for _, r := range a.Results {
				if r.Status == 201 {
					created[r.ID]++
				} else if r.Status != 200 {
					t.Errorf("racing batch, %s: %d %+v", r.ID, r.Status, r.Error)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, id := range ids {
		if created[id] != 1 {
			t.Errorf("report %s was created %d times across four simultaneous batches, want once", id, created[id])
		}
	}
	if c := w.count(t, `SELECT count(*) FROM incidents WHERE client_id = ANY($1::uuid[])`, ids); c != size {
		t.Errorf("%d rows for %d reports sent four times at once", c, size)
	}
	if c := w.count(t, `SELECT count(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.client_id = ANY($1::uuid[])`, ids); c != size {
		t.Errorf("%d history entries for %d reports", c, size)
	}
}

func TestIncidentBatchIsBounded(t *testing.T) {
	w := newIncidentWorld(t)
	one := reportBody(newCaseID(), "sanitation.litter", w.inGrid[0], w.inGrid[1], "", "x", time.Now().Add(-time.Minute))
	before := w.count(t, `SELECT count(*) FROM incidents`)
	many := make([]string, incidents.MaxBatch+1)
	for i := range many {
		many[i] = reportBody(newCaseID(), "sanitation.litter", w.inGrid[0], w.inGrid[1], "", "x", time.Now().Add(-time.Minute))
	}
	huge := reportBody(newCaseID(), "sanitation.litter", w.inGrid[0], w.inGrid[1], "", strings.Repeat("长", 3<<20), time.Now())
	for name, tc := range map[string]struct {
		tok, body string
		status    int
		code      string
	}{
		"empty":          {w.officer, `{"reports": []}`, 400, "invalid"},
		"no reports":     {w.officer, `{}`, 400, "invalid"},
		"one too many":   {w.officer, batchBody(many...), 413, "too_large"},
		"9 MB":           {w.officer, batchBody(huge), 413, "too_large"},
		"not JSON":       {w.officer, `{"reports": [`, 400, "invalid"},
		"unknown field":  {w.officer, `{"reports": [` + one + `], "device": "x"}`, 400, "invalid"},
		"auditor":        {w.auditor, batchBody(one), 403, "forbidden"},
		"not logged in":  {"", batchBody(one), 401, "unauthorized"},
		"reports object": {w.officer, `{"reports": {"a": 1}}`, 400, "invalid"},
	} {
		resp, b := do(t, "POST", w.base+"/api/incidents/batch", tc.tok, tc.body)
		wantError(t, name, resp, b, tc.status, tc.code)
	}
	if c := w.count(t, `SELECT count(*) FROM incidents`); c != before {
		t.Errorf("refused batches stored %d cases", c-before)
	}
}

// TestIncidentBatchAtTheLimitKeepsCountsExact sends a full batch (the limit,
// no savepoints) mixing good reports, emergencies, points outside every grid
// and refused ones, then the same batch again: each good report is stored
// once with its deadline, level, one history entry (two for an emergency)
// and one audit line, the refused ones leave nothing, and the kept unit
// counts equal a recount after each.
func TestIncidentBatchAtTheLimitKeepsCountsExact(t *testing.T) {
	w := newIncidentWorld(t)
	var outLon, outLat float64
	if err := w.pool.QueryRow(t.Context(), `WITH e AS (SELECT ST_Envelope(ST_Collect(geom)) g FROM units WHERE level = 4)
        SELECT ST_XMin(g) - 0.01, ST_YMin(g) - 0.01 FROM e`).Scan(&outLon, &outLat); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	bodies := make([]string, incidents.MaxBatch)
	var good, emergencies, outside int
	for i := range bodies {
		id, lon, lat := newCaseID(), w.inGrid[0]+float64(i%40)*1e-6, w.inGrid[1]
		switch i % 8 {
		case 3: // refused: a photo never uploaded
			bodies[i] = fmt.Sprintf(`{"id":%q,"category":"sanitation.litter","lon":%v,"lat":%v,"description":"x","reported_at":%q,"photos":[%q]}`,
				id, lon, lat, at.Format(time.RFC3339), newCaseID())
			continue
		case 5: // refused: no such category
			bodies[i] = reportBody(id, "no.such", lon, lat, "", "x", at)
			continue
		case 6:
			bodies[i] = reportBody(id, "safety.gas", lon, lat, "", fmt.Sprintf("燃气 gas %d", i), at)
			emergencies++
		case 7:
			bodies[i] = reportBody(id, "cityorder.stall", outLon, outLat, "", fmt.Sprintf("界外 outside %d", i), at)
			outside++
		default:
			bodies[i] = reportBody(id, "sanitation.litter", lon, lat, "", fmt.Sprintf("满批 full batch %d", i), at)
		}
		good++
	}
	cases, events, audits := w.count(t, `SELECT count(*) FROM incidents`), w.count(t, `SELECT count(*) FROM incident_events`),
		w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'incident.report'`)
	for _, pass := range []string{"first", "retry"} {
		a := w.sendBatch(t, w.officer, batchBody(bodies...), len(bodies))
		for i, r := range a.Results {
			want := 201
			if pass == "retry" {
				want = 200
			}
			if i%8 == 3 || i%8 == 5 {
				want = 400
			}
			if r.Status != want {
				t.Fatalf("%s, report %d: %d %+v, want %d", pass, i, r.Status, r.Error, want)
			}
			if want != 400 && (r.Incident == nil || r.Incident.DueAt == nil || !r.Incident.DueAt.After(at)) {
				t.Fatalf("%s, report %d: %+v, want a case with a deadline after it was reported", pass, i, r.Incident)
			}
		}
		if n, e, l := w.count(t, `SELECT count(*) FROM incidents`)-cases, w.count(t, `SELECT count(*) FROM incident_events`)-events,
			w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'incident.report'`)-audits; n != good || e != good+emergencies || l != good {
			t.Errorf("after the %s batch: %d cases, %d events, %d audit lines; want %d, %d, %d", pass, n, e, l, good, good+emergencies, good)
		}
		if n := w.count(t, `SELECT count(*) FROM incidents WHERE description LIKE '燃气 gas %' AND level = 2 AND due_at IS NOT NULL`); n != emergencies {
			t.Errorf("%d emergencies at the street level, want %d", n, emergencies)
		}
		if n := w.count(t, `SELECT count(*) FROM incidents WHERE description LIKE '界外 outside %' AND outside AND grid_code IS NULL AND community_code IS NOT NULL`); n != outside {
			t.Errorf("%d reports outside every grid routed to a community, want %d", n, outside)
		}
		if d := statsDiff(t, w.pool); len(d) > 0 {
			t.Fatalf("after the %s batch the kept counts differ from a recount:\n%s", pass, strings.Join(d, "\n"))
		}
	}
}
