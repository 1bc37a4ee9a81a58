package unit_test

import (
	"testing"

	"wangge/internal/unit"
)

func TestBand(t *testing.T) {
	b := unit.DefaultBand
	for _, c := range []struct {
		kind       string
		hh, people int
		want       string
	}{
		{"basic", 300, 1200, "ok"}, {"basic", 501, 1200, "over"}, {"basic", 300, 1501, "over"},
		{"basic", 199, 1200, "under"}, {"basic", 600, 900, "over"}, {"school", 900, 3000, "n/a"},
	} {
		if got := b.Flag(c.kind, c.hh, c.people); got != c.want {
			t.Errorf("%s %d/%d: %s, want %s", c.kind, c.hh, c.people, got, c.want)
		}
	}
}

func TestVocabulary(t *testing.T) {
	if k, err := unit.ParseKind(""); k != "basic" || err != nil {
		t.Errorf("default kind %q %v", k, err)
	}
	if _, err := unit.ParseKind("house"); err == nil {
		t.Error("kind house accepted")
	}
	for s, want := range map[string]int{"grid": 4, "4": 4, "community": 3, "district": 1, "estate": 5} {
		if n, err := unit.ParseLevel(s); n != want || err != nil {
			t.Errorf("ParseLevel(%q) = %d %v", s, n, err)
		}
	}
	if _, err := unit.ParseLevel("0"); err == nil {
		t.Error("level 0 accepted")
	}
	if !unit.IsGridCode("330199001004007") || unit.IsGridCode("330199001004") || unit.IsGridCode("33019900100400x") {
		t.Error("IsGridCode")
	}
	if unit.CommunityOf("330199001004007") != "330199001004" || unit.CommunityOf("330199001004") != "" {
		t.Error("CommunityOf")
	}
	if unit.PrefixLen("330100000000") != 6 || unit.PrefixLen("330199001000") != 9 || unit.PrefixLen("330199001004") != 12 {
		t.Error("PrefixLen")
	}
}
