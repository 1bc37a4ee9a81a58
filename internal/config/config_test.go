package config

import (
	"strings"
	"testing"
)

// The login limit per address: 10 by default, set by WANGGE_LOGIN_PER_MINUTE,
// and a value that is no count of attempts refused with its name.
func TestLoginPerMinute(t *testing.T) {
	t.Setenv("WANGGE_LOGIN_PER_MINUTE", "")
	if c, err := Load(); err != nil || c.LoginPerMinute != 10 {
		t.Fatalf("default: %d %v, want 10", c.LoginPerMinute, err)
	}
	t.Setenv("WANGGE_LOGIN_PER_MINUTE", "600")
	if c, err := Load(); err != nil || c.LoginPerMinute != 600 {
		t.Fatalf("600: %d %v", c.LoginPerMinute, err)
	}
	for _, bad := range []string{"0", "-5", "many", "1e9"} {
		t.Setenv("WANGGE_LOGIN_PER_MINUTE", bad)
		if _, err := Load(); err == nil || !strings.Contains(err.Error(), "WANGGE_LOGIN_PER_MINUTE") {
			t.Errorf("%q: %v, want refused by name", bad, err)
		}
	}
}
