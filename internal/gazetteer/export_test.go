package gazetteer

// NormCasesForTest exposes the table inputs to the external SQL mirror test.
func NormCasesForTest() []string {
	out := make([]string, len(normCases))
	for i, c := range normCases {
		out[i] = c.in
	}
	return out
}
