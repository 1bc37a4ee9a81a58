package api_test

import (
	"encoding/json"
	"testing"
)

// TestCommunityBandDrivesReports: a community whose unit setting is 50–100
// households (100–300 people) has its grids judged by that band in
// grid-counts (the grid card and the leader display) and /api/balance,
// inherited by its grids; another community keeps the default 200–500.
func TestCommunityBandDrivesReports(t *testing.T) {
	t.Parallel()
	base, _ := editServer(t)
	comm := editComm[1] // its other test does not read the band
	tok := editToken(t, base, "admin")
	resp, body := do(t, "PUT", base+"/api/units/"+comm+"/settings", tok,
		`{"households_min":50,"households_max":100,"people_min":100,"people_max":300}`)
	if resp.StatusCode != 200 {
		t.Fatalf("settings: %d %s", resp.StatusCode, body)
	}
	type band struct {
		MinHouseholds int `json:"min_households"`
		MaxHouseholds int `json:"max_households"`
		MinPeople     int `json:"min_people"`
		MaxPeople     int `json:"max_people"`
	}
	var counts struct {
		Band  struct{ Households [2]int }
		Grids []struct {
			Code, Kind         string
			Households, People int
			BandApplies        bool `json:"band_applies"`
			HouseholdsOver     bool `json:"households_over"`
			HouseholdsUnder    bool `json:"households_under"`
			Band               band
		}
	}
	resp, body = do(t, "GET", base+"/api/reports/grid-counts?parent="+comm, tok, "")
	if resp.StatusCode != 200 || json.Unmarshal(body, &counts) != nil {
		t.Fatalf("grid-counts: %d %s", resp.StatusCode, body[:min(len(body), 300)])
	}
	if counts.Band.Households != [2]int{50, 100} {
		t.Errorf("grid-counts band %v, want [50 100]", counts.Band.Households)
	}
	differs := 0
	for _, g := range counts.Grids {
		if !g.BandApplies {
			continue
		}
		if g.Band.MaxHouseholds != 100 || g.HouseholdsOver != (g.Households > 100) || g.HouseholdsUnder != (g.Households < 50) {
			t.Errorf("grid %s: %d households judged over=%v under=%v by %+v, want the 50–100 band", g.Code, g.Households, g.HouseholdsOver, g.HouseholdsUnder, g.Band)
		}
		if g.Households > 100 && g.Households <= 500 {
			differs++ // within the default band, over this one
		}
	}
	if differs == 0 {
		t.Fatal("no grid whose judgement the band changes: the test would not tell")
	}
	var bal struct {
		Band     band
		Features []struct {
			Properties struct {
				Code, Kind, Flag   string
				Households, People int
			}
		}
	}
	resp, body = do(t, "GET", base+"/api/balance?parent="+comm, tok, "")
	if resp.StatusCode != 200 || json.Unmarshal(body, &bal) != nil {
		t.Fatalf("balance: %d %s", resp.StatusCode, body[:min(len(body), 300)])
	}
	if bal.Band.MaxHouseholds != 100 || bal.Band.MaxPeople != 300 {
		t.Errorf("balance band %+v, want 50–100 / 100–300", bal.Band)
	}
	for _, f := range bal.Features {
		p := f.Properties
		if p.Kind == "basic" && (p.Households > 100 || p.People > 300) && p.Flag != "over" {
			t.Errorf("balance: grid %s with %d households, %d people flagged %q, want over", p.Code, p.Households, p.People, p.Flag)
		}
	}
	// Elsewhere the default band still holds.
	resp, body = do(t, "GET", base+"/api/reports/grid-counts?parent="+editComm[0], tok, "")
	counts.Band.Households = [2]int{}
	if resp.StatusCode != 200 || json.Unmarshal(body, &counts) != nil || counts.Band.Households != [2]int{200, 500} {
		t.Errorf("another community: %d band %v, want [200 500]", resp.StatusCode, counts.Band.Households)
	}
}
