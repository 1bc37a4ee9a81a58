package auth

import (
	"strings"
	"testing"
)

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not PHC argon2id", h)
	}
	if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("right password refused: %v", err)
	}
	if ok, _ := CheckPassword(h, "correct horse batterY"); ok {
		t.Error("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery")
	if h2 == h {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"!", "", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "$bcrypt$x", "$argon2id$v=18$m=1,t=1,p=1$AAAA$AAAA"} {
		if ok, err := CheckPassword(bad, "anything"); ok || err == nil {
			t.Errorf("hash %q: ok=%v err=%v, want unusable", bad, ok, err)
		}
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("short password accepted")
	}
}

func TestTokens(t *testing.T) {
	a, ha, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := NewToken()
	if a == b || len(a) < 40 || string(TokenHash(a)) != string(ha) {
		t.Errorf("tokens %q %q", a, b)
	}
}

func TestWithin(t *testing.T) {
	cases := []struct {
		code, scope string
		want        bool
	}{
		{"330199001001007", "", true},
		{"330199001001007", "330199000000", true},    // grid in district
		{"330199001001007", "330199001000", true},    // grid in street
		{"330199001001007", "330199001001", true},    // grid in community
		{"330199001001007", "330199001001007", true}, // itself
		{"330199001001008", "330199001001007", false},
		{"330199001002007", "330199001001", false},
		{"330199002001007", "330199001000", false},
		{"330198001001007", "330199000000", false},
		{"330199000000", "330199001000", false}, // district is above the street
		{"330199001000", "330199001001", false}, // street is above the community
		{"330199001001", "330199001000", true},
		{"", "330199000000", false},
		{"33019900", "330199000000", false},
	}
	for _, c := range cases {
		if got := Within(c.code, c.scope); got != c.want {
			t.Errorf("Within(%q, %q) = %v, want %v", c.code, c.scope, got, c.want)
		}
	}
}

func TestCan(t *testing.T) {
	grid := "330199001001007"
	other := "330199001002001"
	officer := Principal{Role: Officer, Unit: grid}
	leader := Principal{Role: Leader, Unit: "330199000000"}
	granted := Principal{Role: Leader, Unit: "330199000000", CanUnmask: true}
	planner := Principal{Role: Planner, Unit: "330199001000"}
	auditor := Principal{Role: Auditor}
	admin := Principal{Role: Admin}
	cases := []struct {
		p    Principal
		a    Action
		unit string
		want bool
	}{
		{officer, ReadHouseholds, grid, true},
		{officer, ReadHouseholds, other, false},
		{officer, Unmask, grid, true},
		{officer, EditBoundaries, grid, false},
		{leader, ReadHouseholds, other, true},
		{leader, Unmask, other, false},
		{granted, Unmask, other, true},
		{leader, ReadStats, grid, true},
		{leader, EditBoundaries, grid, false},
		{planner, EditBoundaries, grid, true},
		{planner, EditBoundaries, "330199002001001", false},
		{planner, ReadHouseholds, grid, false},
		{auditor, ReadAudit, "", true},
		{auditor, ReadHouseholds, grid, false},
		{officer, ReadAudit, "", false},
		{admin, Unmask, other, true},
		{Principal{Role: "stranger"}, ReadMap, "", false},
	}
	for _, c := range cases {
		if got := c.p.Can(c.a, c.unit); got != c.want {
			t.Errorf("%s@%s Can(%s, %s) = %v, want %v", c.p.Role, c.p.Unit, c.a, c.unit, got, c.want)
		}
	}
}
