package privacy

// The one rule for sensitive person categories (社区矫正, 刑满释放, 吸毒人员,
// 严重精神障碍患者, 重点人员 …): a sensitive category leaves the server only
// in an unmasked read (with a reason, audited by the caller) by a reader
// granted that category (person_category_grants: by role or by account);
// counts of it below MinGroup are never shown.

// MinGroup is the smallest count of a sensitive category that may be shown;
// smaller counts would point at individuals.
const MinGroup = 5

// Categories returns the categories of cats the reader may see: the
// ordinary ones, and the sensitive ones only when unmasked and granted. The
// second result lists the sensitive categories shown (the caller audits them).
func Categories(cats []string, sensitive map[string]bool, granted map[string]bool, unmasked bool) (visible, shownSensitive []string) {
	visible = make([]string, 0, len(cats))
	for _, c := range cats {
		if sensitive[c] {
			if !unmasked || !granted[c] {
				continue
			}
			shownSensitive = append(shownSensitive, c)
		}
		visible = append(visible, c)
	}
	return visible, shownSensitive
}

// Keep returns the sensitive categories of old that the reader could not see
// (and so could not have meant to remove): an edit keeps them.
func Keep(old []string, sensitive map[string]bool, granted map[string]bool) []string {
	var out []string
	for _, c := range old {
		if sensitive[c] && !granted[c] {
			out = append(out, c)
		}
	}
	return out
}

// Count returns n for display, or -1 (suppressed) when it is a sensitive
// category's count below MinGroup (zero is shown: it points at no one).
func Count(n int, sensitive bool) int {
	if sensitive && n > 0 && n < MinGroup {
		return -1
	}
	return n
}
