package auth

// Safety inspections (issue #16): grid workers register the places of their
// grids and inspect them; leaders read hazards and the register.
const (
	ManagePlaces      Action = "manage_places"      // rooms, buildings, posts inside a grid
	RecordInspections Action = "record_inspections" // inspections of places in one's units
	ReadHazards       Action = "read_hazards"       // hazards, due lists, the register (台账)
)

func init() {
	grants[Admin] = append(grants[Admin], ManagePlaces, RecordInspections, ReadHazards)
	grants[Officer] = append(grants[Officer], ManagePlaces, RecordInspections, ReadHazards)
	grants[Leader] = append(grants[Leader], ReadHazards)
}
