// Package staff manages the grid force (网格力量): people, their photos,
// their assignments to grids and higher units with dates and history, the
// second-account approval a worker's replacement needs, and leave with a
// stand-in. Every change rebuilds the public cards it touches in the same
// transaction, so lookups and cards see it at once (grid_staff's change
// events).
package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"golang.org/x/image/draw"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
	"wangge/internal/unit"
	"wangge/internal/workcal"
)

// Roles at each level: grid and estate staff (网格长, 专职/兼职网格员, 信息员,
// 楼栋长, 社区民警, 志愿者), the community's 网格长, the street's 网格指导员.
var rolesAt = map[int][]string{
	unit.LevelStreet:    {"grid_instructor"},
	unit.LevelCommunity: {"grid_leader"},
	unit.LevelGrid:      {"grid_leader", "grid_worker", "part_time_worker", "informant", "building_leader", "police", "volunteer"},
	unit.LevelEstate:    {"grid_leader", "grid_worker", "part_time_worker", "informant", "building_leader", "police", "volunteer"},
}

// Photo limits: the upload size, and the pixel count a decoder may be made
// to allocate (a small PNG can declare a huge canvas).
const (
	MaxPhotoBytes  = 5 << 20
	MaxPhotoPixels = 40_000_000
	ThumbSize      = 240
)

// Service is the staff service over a store.
type Service struct {
	st *store.Store
	// Now is the clock (tests move it); dates are days in China Standard Time.
	Now func() time.Time
}

// New returns the service.
func New(st *store.Store) *Service { return &Service{st: st, Now: time.Now} }

func (s *Service) today() time.Time {
	t := s.Now().In(workcal.CST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Input is a person as the API receives them.
type Input struct {
	Name             string `json:"name"`
	Phone            string `json:"phone"`
	Post             string `json:"post"`
	Duties           string `json:"duties"`
	BirthDate        string `json:"birth_date"` // YYYY-MM-DD, optional
	SupervisionPhone string `json:"supervision_phone"`
}

var phoneRE = regexp.MustCompile(`^[0-9+() -]{3,32}$`)

func text(field, v string, max int, required bool, problems *[]string) string {
	v = strings.TrimSpace(v)
	switch {
	case !utf8.ValidString(v):
		*problems = append(*problems, field+": not valid UTF-8")
	case strings.ContainsFunc(v, func(r rune) bool { return r == 0 || (r < 0x20 && r != '\n') }):
		*problems = append(*problems, field+": control characters")
	case required && v == "":
		*problems = append(*problems, field+": required")
	case utf8.RuneCountInString(v) > max:
		*problems = append(*problems, fmt.Sprintf("%s: at most %d characters", field, max))
	}
	return v
}

func parseDay(field, v string, problems *[]string) *time.Time {
	if v == "" {
		return nil
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("%s %q: want YYYY-MM-DD", field, v))
		return nil
	}
	return &d
}

// person checks every field and lists every problem at once.
func (s *Service) person(in Input) (store.Staffer, error) {
	var problems []string
	p := store.Staffer{
		Name:             text("name", in.Name, 64, true, &problems),
		Phone:            text("phone", in.Phone, 32, true, &problems),
		Post:             text("post", in.Post, 64, false, &problems),
		Duties:           text("duties", in.Duties, 500, false, &problems),
		SupervisionPhone: text("supervision_phone", in.SupervisionPhone, 32, false, &problems),
		BirthDate:        parseDay("birth_date", in.BirthDate, &problems),
	}
	if p.Phone != "" && !phoneRE.MatchString(p.Phone) {
		problems = append(problems, fmt.Sprintf("phone %q: digits, spaces, + - ( ) only", p.Phone))
	}
	if p.SupervisionPhone != "" && !phoneRE.MatchString(p.SupervisionPhone) {
		problems = append(problems, fmt.Sprintf("supervision_phone %q: digits, spaces, + - ( ) only", p.SupervisionPhone))
	}
	if p.BirthDate != nil && p.BirthDate.After(s.today()) {
		problems = append(problems, "birth_date: in the future")
	}
	if len(problems) > 0 {
		return p, apperr.WithDetails(apperr.ErrInvalid, problems, "staff: %s", strings.Join(problems, "; "))
	}
	return p, nil
}

func audit(ctx context.Context, st *store.Store, q store.Querier, e store.AuditEntry, action, id string, details any) error {
	e.Action, e.ObjectType, e.ObjectID = action, "staff", id
	e.Details, _ = json.Marshal(details)
	return st.Audit(ctx, q, e)
}

// Create adds a person.
func (s *Service) Create(ctx context.Context, in Input, a store.AuditEntry) (store.Staffer, error) {
	var p store.Staffer
	err := s.st.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = s.CreateTx(ctx, tx, in, a)
		return err
	})
	return p, err
}

// CreateTx adds a person inside the caller's transaction (an idempotent
// request's, so a retried POST creates nobody twice).
func (s *Service) CreateTx(ctx context.Context, tx pgx.Tx, in Input, a store.AuditEntry) (store.Staffer, error) {
	p, err := s.person(in)
	if err != nil {
		return p, err
	}
	if p, err = s.st.CreateStaffer(ctx, tx, p); err != nil {
		return p, err
	}
	return p, audit(ctx, s.st, tx, a, "staff.create", fmt.Sprint(p.ID), map[string]any{"name": p.Name})
}

// Update replaces a person's fields; their cards change at once.
func (s *Service) Update(ctx context.Context, id int64, in Input, a store.AuditEntry) (store.Staffer, error) {
	p, err := s.person(in)
	if err != nil {
		return p, err
	}
	p.ID = id
	err = s.st.Serializable(ctx, func(tx pgx.Tx) error {
		if p, err = s.st.UpdateStaffer(ctx, tx, p); err != nil {
			return err
		}
		units, err := s.st.StandInUnits(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.st.RefreshCards(ctx, tx, units, s.today()); err != nil {
			return err
		}
		return audit(ctx, s.st, tx, a, "staff.update", fmt.Sprint(id), map[string]any{"name": p.Name})
	})
	return p, err
}

// Retire ends a person's service: open assignments end yesterday, and they
// leave every card today.
func (s *Service) Retire(ctx context.Context, id int64, a store.AuditEntry) (store.Staffer, error) {
	var p store.Staffer
	err := s.st.Serializable(ctx, func(tx pgx.Tx) error {
		var err error
		if p, err = s.st.StafferByID(ctx, tx, id, true); err != nil {
			return err
		}
		if p.RetiredAt != nil {
			return apperr.New(apperr.ErrConflict, "staff %d (%s) is already retired", id, p.Name)
		}
		if _, err := s.st.RetireStaffer(ctx, tx, id, s.today()); err != nil {
			return err
		}
		units, err := s.st.StandInUnits(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.st.RefreshCards(ctx, tx, units, s.today()); err != nil {
			return err
		}
		if p, err = s.st.StafferByID(ctx, tx, id, false); err != nil {
			return err
		}
		return audit(ctx, s.st, tx, a, "staff.retire", fmt.Sprint(id), map[string]any{"name": p.Name})
	})
	return p, err
}

// PhotoInfo describes a stored photo.
type PhotoInfo struct {
	ID          int64  `json:"id"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int    `json:"bytes"`
}

// PutPhoto checks that data is a JPEG or PNG within the limits, makes a
// JPEG thumbnail, and stores both as the person's photo.
func (s *Service) PutPhoto(ctx context.Context, id int64, data []byte, a store.AuditEntry) (PhotoInfo, error) {
	if len(data) > MaxPhotoBytes {
		return PhotoInfo{}, apperr.New(apperr.ErrTooLarge, "photo: %d bytes, at most %d", len(data), MaxPhotoBytes)
	}
	ct := http.DetectContentType(data)
	if ct != "image/jpeg" && ct != "image/png" {
		return PhotoInfo{}, apperr.New(apperr.ErrUnsupported, "photo: the file is %s, want a JPEG or PNG image", ct)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return PhotoInfo{}, apperr.New(apperr.ErrInvalid, "photo: not a readable image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPhotoPixels {
		return PhotoInfo{}, apperr.New(apperr.ErrInvalid, "photo: %d×%d pixels, at most %d pixels", cfg.Width, cfg.Height, MaxPhotoPixels)
	}
	var img image.Image
	if ct == "image/png" {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return PhotoInfo{}, apperr.New(apperr.ErrInvalid, "photo: not a readable image: %v", err)
	}
	thumb, err := Thumbnail(img, ThumbSize)
	if err != nil {
		return PhotoInfo{}, err
	}
	ph := store.Photo{StaffID: id, ContentType: ct, Width: cfg.Width, Height: cfg.Height, Data: data, Thumb: thumb}
	err = s.st.InTx(ctx, func(tx pgx.Tx) error {
		p, err := s.st.StafferByID(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if p.RetiredAt != nil {
			return apperr.New(apperr.ErrConflict, "staff %d (%s) is retired", id, p.Name)
		}
		if ph.ID, err = s.st.PutPhoto(ctx, tx, ph); err != nil {
			return err
		}
		return audit(ctx, s.st, tx, a, "staff.photo", fmt.Sprint(id), map[string]any{"bytes": len(data), "type": ct})
	})
	return PhotoInfo{ID: ph.ID, ContentType: ct, Width: cfg.Width, Height: cfg.Height, Bytes: len(data)}, err
}

// Thumbnail scales img to at most size pixels on its long side, as JPEG.
func Thumbnail(img image.Image, size int) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > size || h > size {
		if w >= h {
			w, h = size, max(1, h*size/w)
		} else {
			w, h = max(1, w*size/h), size
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src) // transparent PNGs print on white
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("staff: thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}

// AssignInput is an assignment as the API receives it.
type AssignInput struct {
	StaffID  int64  `json:"staff_id"`
	Role     string `json:"role"`
	From     string `json:"from"` // YYYY-MM-DD; default today
	To       string `json:"to"`
	Replaces *int64 `json:"replaces"` // the assignment a new grid worker replaces
}

// AssignResult is the stored assignment, with eligibility warnings.
type AssignResult struct {
	store.Assignment
	Warnings      []string `json:"warnings"`
	NeedsApproval bool     `json:"needs_approval"`
}

// Assign puts a person on a unit. A grid's 专职网格员 is replaced only
// through a pending assignment that a second account at street level or
// above approves (Decide). Eligibility (age band of the unit's settings)
// gives warnings, not refusals.
func (s *Service) Assign(ctx context.Context, unit string, in AssignInput, a store.AuditEntry) (AssignResult, error) {
	var res AssignResult
	err := s.st.Serializable(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = s.AssignTx(ctx, tx, unit, in, a)
		return err
	})
	return res, err
}

// AssignTx is Assign inside the caller's serializable transaction.
func (s *Service) AssignTx(ctx context.Context, tx pgx.Tx, unit string, in AssignInput, a store.AuditEntry) (AssignResult, error) {
	var problems []string
	from := parseDay("from", in.From, &problems)
	if from == nil && in.From == "" {
		t := s.today()
		from = &t
	}
	to := parseDay("to", in.To, &problems)
	if from != nil && to != nil && to.Before(*from) {
		problems = append(problems, "to: before from")
	}
	refs, err := s.st.UnitRefs(ctx, []string{unit}, nil, nil)
	if err != nil {
		return AssignResult{}, err
	}
	u, ok := refs[unit]
	if !ok {
		return AssignResult{}, apperr.New(apperr.ErrNotFound, "no unit with code %q", unit)
	}
	allowed := rolesAt[u.Level]
	okRole := false
	for _, r := range allowed {
		okRole = okRole || r == in.Role
	}
	if !okRole {
		problems = append(problems, fmt.Sprintf("role %q: at a %s want one of %s", in.Role, levelName(u.Level), strings.Join(allowed, ", ")))
	}
	if in.StaffID <= 0 {
		problems = append(problems, "staff_id: required")
	}
	if len(problems) > 0 {
		return AssignResult{}, apperr.WithDetails(apperr.ErrInvalid, problems, "assign: %s", strings.Join(problems, "; "))
	}
	eff, err := s.st.EffectiveSettings(ctx, unit)
	if err != nil {
		return AssignResult{}, err
	}
	res := AssignResult{Warnings: []string{}}
	err = func() error {
		p, err := s.st.StafferByID(ctx, tx, in.StaffID, true)
		if err != nil {
			if errors.Is(err, apperr.ErrNotFound) {
				return apperr.New(apperr.ErrInvalid, "staff_id %d: no such person", in.StaffID)
			}
			return err
		}
		if p.RetiredAt != nil {
			return apperr.New(apperr.ErrInvalid, "staff %d (%s) is retired and cannot be assigned", p.ID, p.Name)
		}
		asg := store.Assignment{StaffID: p.ID, Unit: unit, Role: in.Role, From: *from, To: to, Status: "active", RequestedBy: a.Username}
		cur, err := s.st.ActiveAssignment(ctx, tx, unit, in.Role, *from)
		if err != nil {
			return err
		}
		if cur != nil && cur.StaffID == p.ID {
			return apperr.New(apperr.ErrConflict, "%s already serves %s as %s (assignment %d)", p.Name, unit, in.Role, cur.ID)
		}
		switch {
		case in.Role == "grid_worker" && cur != nil && in.Replaces == nil:
			return apperr.New(apperr.ErrConflict, "%s already has a 专职网格员, %s (assignment %d): send \"replaces\": %d to request the replacement, which a second account at street level approves", unit, cur.StaffName, cur.ID, cur.ID)
		case in.Replaces != nil && (cur == nil || *in.Replaces != cur.ID):
			return apperr.New(apperr.ErrInvalid, "replaces %d: not the %s of %s in force on %s", *in.Replaces, in.Role, unit, from.Format("2006-01-02"))
		case in.Replaces != nil:
			if !from.After(cur.From) {
				return apperr.New(apperr.ErrInvalid, "from %s: a replacement starts after the current assignment (from %s)", from.Format("2006-01-02"), cur.From.Format("2006-01-02"))
			}
			asg.Status, asg.ReplacesID = "pending", in.Replaces
			res.NeedsApproval = true
		}
		if p.BirthDate != nil {
			age := ageOn(*p.BirthDate, *from)
			if age < eff.StaffMinAge || age > eff.StaffMaxAge {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s is %d on %s, outside the eligible age %d–%d set for %s", p.Name, age, from.Format("2006-01-02"), eff.StaffMinAge, eff.StaffMaxAge, unit))
			}
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s has no birth date: the age rule %d–%d is not checked", p.Name, eff.StaffMinAge, eff.StaffMaxAge))
		}
		if res.Assignment, err = s.st.InsertAssignment(ctx, tx, asg); err != nil {
			return err
		}
		if asg.Status == "active" {
			if err := s.st.RefreshCards(ctx, tx, []string{unit}, s.today()); err != nil {
				return err
			}
		}
		return audit(ctx, s.st, tx, a, "staff.assign", fmt.Sprint(p.ID), map[string]any{"unit": unit, "role": in.Role, "assignment": res.ID, "status": asg.Status, "warnings": res.Warnings})
	}()
	return res, err
}

func ageOn(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.YearDay() < birth.YearDay() {
		age--
	}
	return age
}

func levelName(l int) string {
	return map[int]string{1: "district", 2: "street", 3: "community", 4: "grid", 5: "estate"}[l]
}

// Decide approves or rejects a pending assignment. The approver must be a
// second account (not the requester) whose scope is a street or wider: the
// schemes require the township's social-governance office to agree.
func (s *Service) Decide(ctx context.Context, id int64, approve bool, p auth.Principal, a store.AuditEntry) (store.Assignment, error) {
	var out store.Assignment
	err := s.st.Serializable(ctx, func(tx pgx.Tx) error {
		asg, err := s.st.AssignmentByID(ctx, tx, id, true)
		if err != nil {
			return err
		}
		var problems []string
		if asg.Status != "pending" {
			return apperr.New(apperr.ErrConflict, "assignment %d is %s, not pending", id, asg.Status)
		}
		if asg.RequestedBy == p.Username {
			problems = append(problems, "the requester cannot approve or reject their own request: a second account must")
		}
		if p.Unit != "" && unit.PrefixLen(p.Unit) > 9 {
			problems = append(problems, fmt.Sprintf("%s works in %s: a decision needs an account at street level or above", p.Username, p.Unit))
		}
		if !p.Can(auth.ApproveStaff, asg.Unit) {
			problems = append(problems, fmt.Sprintf("%s may not decide on staff of %s", p.Username, asg.Unit))
		}
		if len(problems) > 0 {
			return apperr.WithDetails(apperr.ErrForbidden, problems, "decide: %s", strings.Join(problems, "; "))
		}
		status := "rejected"
		if approve {
			status = "active"
			if asg.ReplacesID != nil {
				if err := s.st.EndAssignment(ctx, tx, *asg.ReplacesID, asg.From.AddDate(0, 0, -1)); err != nil {
					return err
				}
			}
		}
		if err := s.st.DecideAssignment(ctx, tx, id, status, p.Username); err != nil {
			return err
		}
		if err := s.st.RefreshCards(ctx, tx, []string{asg.Unit}, s.today()); err != nil {
			return err
		}
		if out, err = s.st.AssignmentByID(ctx, tx, id, false); err != nil {
			return err
		}
		return audit(ctx, s.st, tx, a, "staff."+map[bool]string{true: "approve", false: "reject"}[approve], fmt.Sprint(asg.StaffID), map[string]any{"assignment": id, "unit": asg.Unit})
	})
	return out, err
}

// LeaveInput is a leave with its stand-in (B 角).
type LeaveInput struct {
	StandInID int64  `json:"stand_in_id"`
	From      string `json:"from"`
	To        string `json:"to"`
}

// Leave records that the stand-in answers for the person's units from..to;
// cards in force today change at once.
func (s *Service) Leave(ctx context.Context, id int64, in LeaveInput, a store.AuditEntry) (int64, error) {
	var problems []string
	from, to := parseDay("from", in.From, &problems), parseDay("to", in.To, &problems)
	if (from == nil || to == nil) && len(problems) == 0 {
		problems = append(problems, "from and to: required")
	}
	if from != nil && to != nil && to.Before(*from) {
		problems = append(problems, "to: before from")
	}
	if in.StandInID == id {
		problems = append(problems, "stand_in_id: a person cannot stand in for themself")
	}
	if len(problems) > 0 {
		return 0, apperr.WithDetails(apperr.ErrInvalid, problems, "leave: %s", strings.Join(problems, "; "))
	}
	var lid int64
	err := s.st.Serializable(ctx, func(tx pgx.Tx) error {
		if _, err := s.st.StafferByID(ctx, tx, id, true); err != nil {
			return err
		}
		b, err := s.st.StafferByID(ctx, tx, in.StandInID, true)
		if err != nil {
			return apperr.New(apperr.ErrInvalid, "stand_in_id %d: no such person", in.StandInID)
		}
		if b.RetiredAt != nil {
			return apperr.New(apperr.ErrInvalid, "stand-in %d (%s) is retired", b.ID, b.Name)
		}
		if lid, err = s.st.InsertLeave(ctx, tx, id, b.ID, *from, *to, a.Username); err != nil {
			return err
		}
		units, err := s.st.StandInUnits(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.st.RefreshCards(ctx, tx, units, s.today()); err != nil {
			return err
		}
		return audit(ctx, s.st, tx, a, "staff.leave", fmt.Sprint(id), map[string]any{"stand_in": b.ID, "from": in.From, "to": in.To})
	})
	return lid, err
}

// Sweep refreshes the cards whose people change on day (assignments and
// leaves starting that day or ended the day before); idempotent, so a daily
// job or `wangge staff sweep` may run it any number of times.
func (s *Service) Sweep(ctx context.Context, day time.Time) (int, error) {
	units, err := s.st.CardsDueOn(ctx, day)
	if err != nil {
		return 0, err
	}
	err = s.st.InTx(ctx, func(tx pgx.Tx) error { return s.st.RefreshCards(ctx, tx, units, day) })
	return len(units), err
}
