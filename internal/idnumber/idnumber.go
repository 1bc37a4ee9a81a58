// Package idnumber checks resident ID numbers (公民身份号码, GB 11643-1999):
// 6-digit region, 8-digit birth date, 3-digit sequence, ISO 7064 MOD 11-2
// check character.
package idnumber

import (
	"fmt"
	"time"
)

var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const checkChars = "10X98765432"

// Parse validates s and returns the birth date it encodes. now bounds the
// birth date (no one is born in the future or before 1900).
func Parse(s string, now time.Time) (time.Time, error) {
	if len(s) != 18 {
		return time.Time{}, fmt.Errorf("ID number must have 18 characters, has %d", len([]rune(s)))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("ID number character %d is %q, want a digit", i+1, c)
		}
		sum += int(c-'0') * weights[i]
	}
	want := checkChars[sum%11]
	got := s[17]
	if got == 'x' {
		got = 'X'
	}
	if got != want {
		return time.Time{}, fmt.Errorf("ID number check digit is %q, want %q (GB 11643)", s[17], want)
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil {
		return time.Time{}, fmt.Errorf("ID number birth date %s is not a date", s[6:14])
	}
	if birth.Year() < 1900 || birth.After(now) {
		return time.Time{}, fmt.Errorf("ID number birth date %s is impossible", s[6:14])
	}
	return birth, nil
}

// Normalize upper-cases a trailing x.
func Normalize(s string) string {
	if len(s) == 18 && s[17] == 'x' {
		return s[:17] + "X"
	}
	return s
}
