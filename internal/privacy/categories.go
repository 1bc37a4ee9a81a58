package privacy

// The one rule for sensitive person categories (社区矫正, 刑满释放, 吸毒人员,
// 严重精神障碍患者, 重点人员 …): hidden unless the reader is cleared to see them,
// in which case the read is audited by the caller in the same transaction.

// MinGroup is the smallest count of a sensitive category that may be shown;
// smaller counts would point at individuals.
const MinGroup = 5

// Categories returns cats without the sensitive ones unless cleared, and
// whether any were hidden.
func Categories(cats []string, sensitive map[string]bool, cleared bool) ([]string, bool) {
	out := make([]string, 0, len(cats))
	hidden := false
	for _, c := range cats {
		if sensitive[c] && !cleared {
			hidden = true
			continue
		}
		out = append(out, c)
	}
	return out, hidden
}

// Count returns n for display, or -1 (suppressed) when it is a sensitive
// category's count below MinGroup (zero is shown: it points at no one).
func Count(n int, sensitive bool) int {
	if sensitive && n > 0 && n < MinGroup {
		return -1
	}
	return n
}
