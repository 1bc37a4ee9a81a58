// Package residents holds the rules for a person record (人进户): the
// check every write of a person goes through (POST, PATCH, the import over
// HTTP and `wangge import persons`) and the import of a register.
package residents

import (
	"slices"
	"strings"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/idnumber"
	"wangge/internal/incidents"
	"wangge/internal/store"
)

// Relations to the household head ("" unknown) and kinds of residence.
var (
	Relations  = []string{"", "head", "spouse", "child", "parent", "grandchild", "sibling", "tenant", "other"}
	Residences = []string{"registered", "floating", "separated", "foreign"}
)

// Input is one person as a client sends it.
type Input struct {
	HouseholdID int64    `json:"household_id"`
	Name        string   `json:"name"`
	IDNumber    string   `json:"id_number"`
	Phone       string   `json:"phone"`
	Relation    string   `json:"relation"`
	Residence   string   `json:"residence"`
	Categories  []string `json:"categories"`
	MoveIn      string   `json:"move_in"`
}

// FieldError is a refusal naming the field (an import reports it as the column).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func badField(field, format string, args ...any) error {
	return &FieldError{field, apperr.New(apperr.ErrInvalid, format, args...)}
}

// Check validates and normalises one person: text, relation, residence, the
// ID number's check digit and birth date, categories from the controlled
// list cats.
func Check(in Input, cats map[string]bool, now time.Time) (store.Person, error) {
	var err error
	if in.Name, err = incidents.CleanText("name", in.Name, 64); err != nil {
		return store.Person{}, &FieldError{"name", err}
	}
	if in.Name == "" {
		return store.Person{}, badField("name", "name is required")
	}
	if in.Phone, err = incidents.CleanText("phone", in.Phone, 20); err != nil {
		return store.Person{}, &FieldError{"phone", err}
	}
	if !slices.Contains(Relations, in.Relation) {
		return store.Person{}, badField("relation", "relation %q: want one of %s", in.Relation, strings.Join(Relations[1:], ", "))
	}
	if !slices.Contains(Residences, in.Residence) {
		return store.Person{}, badField("residence", "residence %q: want one of %s", in.Residence, strings.Join(Residences, ", "))
	}
	hh := in.HouseholdID
	p := store.Person{HouseholdID: &hh, Name: in.Name, Phone: in.Phone, Relation: in.Relation, Residence: in.Residence}
	if in.IDNumber != "" {
		p.IDNumber = idnumber.Normalize(in.IDNumber)
		birth, err := idnumber.Parse(p.IDNumber, now)
		if err != nil {
			return store.Person{}, badField("id_number", "id_number: %v", err)
		}
		b := birth.Format("2006-01-02")
		p.BirthDate = &b
	}
	p.Categories = []string{}
	for _, k := range in.Categories {
		if _, ok := cats[k]; !ok {
			return store.Person{}, badField("categories", "category %q is not in the list", k)
		}
		if !slices.Contains(p.Categories, k) {
			p.Categories = append(p.Categories, k)
		}
	}
	return p, nil
}

// CheckMoveIn returns the move-in date, today when d is empty.
func CheckMoveIn(d string, now time.Time) (string, error) {
	if d == "" {
		return now.Format("2006-01-02"), nil
	}
	if t, err := time.Parse("2006-01-02", d); err != nil || t.Format("2006-01-02") != d {
		return "", badField("move_in", "move_in %q: want YYYY-MM-DD", d)
	}
	return d, nil
}

// Granted refuses setting a sensitive category the writer may not see.
func Granted(cats []string, sensitive, granted map[string]bool) error {
	for _, k := range cats {
		if sensitive[k] && !granted[k] {
			return &FieldError{"categories", apperr.New(apperr.ErrForbidden, "category %q is sensitive and not granted to you", k)}
		}
	}
	return nil
}
