package privacy

import (
	"fmt"
	"testing"
)

func TestMasks(t *testing.T) {
	cases := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"id", IDNumber, "110101199003071234", "110***********1234"},
		{"id with X", IDNumber, "33010619900307123X", "330***********123X"},
		{"phone", Phone, "13812345678", "138****5678"},
		{"landline", Phone, "057187654321", "057*****4321"},
		{"short phone", Phone, "110", "1**"},
		{"seven", Phone, "1234567", "1******"},
		{"name 3", Name, "张三丰", "张**"},
		{"name 2", Name, "王芳", "王*"},
		{"name 4", Name, "欧阳娜娜", "欧***"},
		{"empty", Name, "", ""},
		{"one rune", Name, "王", "*"},
		{"short id", IDNumber, "1234567", "1******"},
	}
	for _, c := range cases {
		if got := c.fn(c.in); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// Whatever the input, a mask hides something and keeps the length.
func FuzzMaskNeverRevealsMost(f *testing.F) {
	for _, s := range []string{"110101199003071234", "13812345678", "张三", "a", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fn := range []func(string) string{IDNumber, Phone, Name} {
			out := []rune(fn(s))
			in := []rune(s)
			if len(out) != len(in) {
				t.Fatalf("mask changed length: %q → %q", s, string(out))
			}
			hidden := 0
			for i := range out {
				if out[i] == '*' {
					hidden++
				}
			}
			if len(in) > 0 && hidden == 0 {
				t.Fatalf("mask of %q hides nothing: %q", s, string(out))
			}
		}
	})
}

func TestSensitiveCategories(t *testing.T) {
	sens := map[string]bool{"drug_user": true, "key_person": true}
	granted := map[string]bool{"drug_user": true}
	all := []string{"disabled", "drug_user", "key_person"}
	for _, c := range []struct {
		granted  map[string]bool
		unmasked bool
		want     string
		shown    string
	}{
		{granted, false, "[disabled]", "[]"},                   // masked: no sensitive category, even granted
		{granted, true, "[disabled drug_user]", "[drug_user]"}, // unmasked: only the granted one
		{nil, true, "[disabled]", "[]"},                        // not granted: hidden even unmasked
	} {
		got, shown := Categories(all, sens, c.granted, c.unmasked)
		if fmt.Sprint(got) != c.want || fmt.Sprint(append([]string{}, shown...)) != c.shown {
			t.Errorf("granted %v unmasked %v: %v %v, want %s %s", c.granted, c.unmasked, got, shown, c.want, c.shown)
		}
	}
	if k := Keep(all, sens, granted); fmt.Sprint(k) != "[key_person]" {
		t.Errorf("keep: %v", k)
	}
	if Count(4, true) != -1 || Count(5, true) != 5 || Count(0, true) != 0 || Count(2, false) != 2 {
		t.Fatal("small sensitive counts must be suppressed")
	}
}
