package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestPersonGetPatchDeleteMaskedScopedAudited(t *testing.T) {
	t.Parallel()
	pool, base, officer, own := officerWorld(t)
	ctx := context.Background()
	var h1, h2, hOther int64
	if err := pool.QueryRow(ctx, `SELECT min(h.id), max(h.id) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, own).Scan(&h1, &h2); err != nil {
		t.Fatal(err)
	}
	pool.QueryRow(ctx, `SELECT min(h.id) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code <> $1`, own).Scan(&hOther)
	id := checkedID("33010619850315002")
	resp, b := do(t, "POST", base+"/api/persons", officer, fmt.Sprintf(`{"household_id":%d,"name":"李小明","id_number":%q,"phone":"13812345678","relation":"child","residence":"registered","categories":["disabled","drug_user"]}`, h1, id))
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var p struct{ ID int64 }
	json.Unmarshal(b, &p)
	// A person of another grid, for the scope checks.
	var pOther int64
	if err := pool.QueryRow(ctx, `INSERT INTO persons (region_code, household_id, name, residence) SELECT region_code, id, '王五', 'registered' FROM households WHERE id = $1 RETURNING id`, hOther).Scan(&pOther); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("%s/api/persons/%d", base, p.ID)
	other := fmt.Sprintf("%s/api/persons/%d", base, pOther)
	audits := func(action string) (n int) {
		pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = $1 AND object_type = 'person'`, action).Scan(&n)
		return
	}

	// GET: masked, sensitive hidden, no audit; unmasked with reason: clear, audited.
	d0 := audits("disclose")
	resp, b = do(t, "GET", url, officer, "")
	if resp.StatusCode != 200 || strings.Contains(string(b), id) || strings.Contains(string(b), "drug_user") || !strings.Contains(string(b), `"李**"`) {
		t.Fatalf("masked get: %d %s", resp.StatusCode, b)
	}
	if audits("disclose") != d0 {
		t.Fatal("a masked read was logged as a disclosure")
	}
	resp, b = do(t, "GET", url+"?unmask=1&reason=check", officer, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), id) || !strings.Contains(string(b), "drug_user") {
		t.Fatalf("clear get: %d %s", resp.StatusCode, b)
	}
	if audits("disclose") != d0+1 {
		t.Fatal("clear read not audited")
	}
	resp, b = do(t, "GET", url+"?unmask=1", officer, "")
	wantError(t, "no reason", resp, b, 400, "invalid")
	resp, b = do(t, "GET", other, officer, "")
	wantError(t, "other grid get", resp, b, 403, "forbidden")

	// PATCH: validated like POST, the household refused, nothing stored on refusal.
	for name, tc := range map[string]struct {
		body   string
		status int
	}{
		"household":   {fmt.Sprintf(`{"household_id":%d}`, h2), 400},
		"move_in":     {`{"move_in":"2026-01-01"}`, 400},
		"check digit": {fmt.Sprintf(`{"id_number":%q}`, id[:17]+map[bool]string{true: "1", false: "2"}[id[17] != '1']), 400},
		"category":    {`{"categories":["nope"]}`, 400},
		"residence":   {`{"residence":"tourist"}`, 400},
		"empty name":  {`{"name":"  "}`, 400},
		"unknown":     {`{"age":3}`, 400},
	} {
		resp, b := do(t, "PATCH", url, officer, tc.body)
		wantError(t, "patch "+name, resp, b, tc.status, "invalid")
	}
	resp, b = do(t, "PATCH", other, officer, `{"phone":"13900000000"}`)
	wantError(t, "other grid patch", resp, b, 403, "forbidden")
	var phone string
	pool.QueryRow(ctx, `SELECT phone FROM persons WHERE id = $1`, p.ID).Scan(&phone)
	if phone != "13812345678" {
		t.Fatalf("a refused patch changed the phone to %s", phone)
	}
	u0 := audits("person.update")
	resp, b = do(t, "PATCH", url, officer, `{"phone":"13900001111","categories":["living_alone"]}`)
	if resp.StatusCode != 200 || strings.Contains(string(b), "13900001111") || !strings.Contains(string(b), "139****1111") {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	var cats []string
	var hh int64
	pool.QueryRow(ctx, `SELECT phone, categories, household_id FROM persons WHERE id = $1`, p.ID).Scan(&phone, &cats, &hh)
	if phone != "13900001111" || fmt.Sprint(cats) != "[living_alone]" || hh != h1 {
		t.Fatalf("after patch: %s %v %d", phone, cats, hh)
	}
	if audits("person.update") != u0+1 {
		t.Fatal("patch not audited")
	}

	// DELETE: scoped, audited, gone.
	resp, b = do(t, "DELETE", other, officer, "")
	wantError(t, "other grid delete", resp, b, 403, "forbidden")
	if resp, b = do(t, "DELETE", url, officer, ""); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	if audits("person.delete") != 1 {
		t.Fatal("delete not audited")
	}
	resp, b = do(t, "GET", url, officer, "")
	wantError(t, "deleted", resp, b, 404, "not_found")
}

// Sensitive categories: only for granted roles/accounts, only in an audited
// unmasked read; an editor who cannot see them cannot drop them.
func TestSensitiveCategoriesGrantedOnly(t *testing.T) {
	t.Parallel()
	pool, base, officer, own := officerWorld(t)
	ctx := context.Background()
	var h1 int64
	pool.QueryRow(ctx, `SELECT min(h.id) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, own).Scan(&h1)
	resp, b := do(t, "POST", base+"/api/persons", officer, fmt.Sprintf(`{"household_id":%d,"name":"赵六","residence":"registered","categories":["disabled","key_person","drug_user"]}`, h1))
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var p struct{ ID int64 }
	json.Unmarshal(b, &p)
	url := fmt.Sprintf("%s/api/persons/%d?unmask=1&reason=review", base, p.ID)
	// Officers lose key_person: their role grant is taken back for it.
	if _, err := pool.Exec(ctx, `DELETE FROM person_category_grants WHERE role = 'officer' AND category = 'key_person'`); err != nil {
		t.Fatal(err)
	}
	_, b = do(t, "GET", url, officer, "")
	if strings.Contains(string(b), "key_person") || !strings.Contains(string(b), "drug_user") {
		t.Fatalf("officer sees ungranted key_person or misses granted drug_user: %s", b)
	}
	var shown string
	pool.QueryRow(ctx, `SELECT details->'sensitive'->>$1 FROM audit_log WHERE action = 'disclose' ORDER BY id DESC LIMIT 1`, fmt.Sprint(p.ID)).Scan(&shown)
	if shown != `["drug_user"]` {
		t.Fatalf("audit line names %q, want the sensitive category shown", shown)
	}
	// The officer edits the categories without seeing key_person: it stays; adding it is refused.
	resp, b = do(t, "PATCH", fmt.Sprintf("%s/api/persons/%d", base, p.ID), officer, `{"categories":["disabled"]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	var cats []string
	pool.QueryRow(ctx, `SELECT categories FROM persons WHERE id = $1`, p.ID).Scan(&cats)
	if fmt.Sprint(cats) != "[disabled key_person]" {
		t.Fatalf("categories after an edit by a reader without key_person: %v", cats)
	}
	resp, b = do(t, "PATCH", fmt.Sprintf("%s/api/persons/%d", base, p.ID), officer, `{"categories":["key_person"]}`)
	wantError(t, "ungranted category", resp, b, 403, "forbidden")

	// A leader granted unmask sees clear names but no sensitive category,
	// until the account itself is granted one.
	var leaderID int64
	pool.QueryRow(ctx, `UPDATE users SET can_unmask = true WHERE username = 'leader' RETURNING id`).Scan(&leaderID)
	leader := loginAs(t, base, "leader")
	resp, b = do(t, "GET", url, leader, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), "赵六") || strings.Contains(string(b), "drug_user") || strings.Contains(string(b), "key_person") {
		t.Fatalf("leader without grants: %d %s", resp.StatusCode, b)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO person_category_grants (category, user_id) VALUES ('key_person', $1)`, leaderID); err != nil {
		t.Fatal(err)
	}
	_, b = do(t, "GET", url, leader, "")
	if !strings.Contains(string(b), "key_person") || strings.Contains(string(b), "drug_user") {
		t.Fatalf("leader with an account grant for key_person: %s", b)
	}
	// Masked reads never carry them, granted or not.
	_, b = do(t, "GET", fmt.Sprintf("%s/api/households/%d/persons", base, h1), officer, "")
	if strings.Contains(string(b), "drug_user") || strings.Contains(string(b), "key_person") {
		t.Fatalf("masked list carries a sensitive category: %s", b)
	}
}
