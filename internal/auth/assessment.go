package auth

// Grid worker assessment (issue 18): leaders read their units' scores and
// record the supervisors' checks and training attendance, close a month and
// reopen it (a second account); admins everywhere.
const (
	ReadAssessment   Action = "read_assessment"
	RecordAssessment Action = "record_assessment" // training attendance, phone and dispatch checks
	ManageAssessment Action = "manage_assessment" // rule sets, closing and reopening months
)

func init() {
	grants[Admin] = append(grants[Admin], ReadAssessment, RecordAssessment, ManageAssessment)
	grants[Leader] = append(grants[Leader], ReadAssessment, RecordAssessment, ManageAssessment)
}
