// Package privacy masks residents' personal fields. Masking is the default
// in every response; clear values leave only through an audited disclosure.
package privacy

import (
	"strings"
	"unicode/utf8"
)

// IDNumber keeps the first 3 and last 4 characters of a resident ID:
// 110101199003071234 → 110***********1234. Short values are masked whole.
func IDNumber(s string) string { return keepEnds(s, 3, 4) }

// Phone keeps the first 3 and last 4 digits: 13812345678 → 138****5678.
func Phone(s string) string { return keepEnds(s, 3, 4) }

// Name keeps the surname (first character): 张三丰 → 张**.
func Name(s string) string { return keepEnds(s, 1, 0) }

// keepEnds replaces all but head leading and tail trailing runes with '*';
// when that would reveal everything, only the first rune stays.
func keepEnds(s string, head, tail int) string {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return ""
	case n == 1:
		return "*"
	case head+tail >= n:
		// Too short to show both ends: keep at most the first rune.
		head, tail = min(head, 1), 0
	}
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}
