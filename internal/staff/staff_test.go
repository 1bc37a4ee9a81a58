package staff_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/changes"
	"wangge/internal/dbtest"
	"wangge/internal/lookup"
	"wangge/internal/staff"
	"wangge/internal/store"
	"wangge/internal/unitio"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func sq(x0, y0, x1, y1 float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)
}

// setup builds a district → street → community → grid tree.
func setup(t *testing.T) (*store.Store, string) {
	pool, dsn := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	f := func(code, name, g string) string {
		return fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":%q},"geometry":%s}`, code, name, g)
	}
	fc := `{"type":"FeatureCollection","features":[` + strings.Join([]string{
		f("330106000000", "西湖区", sq(120, 30, 120.02, 30.01)),
		f("330106001000", "北山街道", sq(120, 30, 120.02, 30.01)),
		f("330106001001", "保俶社区", sq(120, 30, 120.02, 30.01)),
	}, ",") + `]}`
	if _, err := unitio.Import(ctx, st, []byte(fc), unitio.Request{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
        VALUES ('330106001001001', '330106001001', 4, '一网格', 'basic', '330106', ST_Multi(ST_GeomFromText('POLYGON((120 30,120.02 30,120.02 30.01,120 30.01,120 30))', 4326)))`); err != nil {
		t.Fatal(err)
	}
	return st, dsn
}

// The card in memory (lookup) follows assignments, leave with a stand-in
// and retirement through the change events.
func TestLookupFollowsTheCard(t *testing.T) {
	st, dsn := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := &changes.Hub{}
	ready := make(chan struct{})
	go hub.Listen(ctx, dsn, log, ready)
	<-ready
	lk := lookup.New(st, log)
	lk.Subscribe(hub)
	if err := lk.Load(ctx); err != nil {
		t.Fatal(err)
	}
	card := func(want string) {
		t.Helper()
		var got []string
		for i := 0; i < 100; i++ {
			a, err := lk.Locate(ctx, orb.Point{120.01, 30.005})
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, s := range a.Staff {
				got = append(got, s.Role+":"+s.Name)
			}
			if strings.Join(got, ",") == want {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("card %v, want %s", got, want)
	}
	svc := staff.New(st)
	a := store.AuditEntry{Username: "planner1"}
	wang, err := svc.Create(ctx, staff.Input{Name: "王芳", Phone: "13800000001"}, a)
	if err != nil {
		t.Fatal(err)
	}
	li, err := svc.Create(ctx, staff.Input{Name: "李强", Phone: "13800000002", BirthDate: "1950-01-01"}, a)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Assign(ctx, "330106001001001", staff.AssignInput{StaffID: wang.ID, Role: "grid_worker"}, a)
	if err != nil {
		t.Fatal(err)
	}
	card("grid_worker:王芳")
	// An age outside the rule is a warning, not a refusal.
	res2, err := svc.Assign(ctx, "330106001001001", staff.AssignInput{StaffID: li.ID, Role: "informant"}, a)
	if err != nil || len(res2.Warnings) != 1 || !strings.Contains(res2.Warnings[0], "outside the eligible age 18–55") {
		t.Fatalf("assign 李强: %v %+v", err, res2)
	}
	card("grid_worker:王芳,informant:李强")
	// 王芳 on leave today: 李强 answers for her.
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	if _, err := svc.Leave(ctx, wang.ID, staff.LeaveInput{StandInID: li.ID, From: today, To: today}, a); err != nil {
		t.Fatal(err)
	}
	card("grid_worker:李强,informant:李强")
	// The requester cannot approve their own replacement request.
	zhao, _ := svc.Create(ctx, staff.Input{Name: "赵敏", Phone: "13800000003"}, a)
	tomorrow := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1).Format("2006-01-02")
	if _, err := svc.Assign(ctx, "330106001001001", staff.AssignInput{StaffID: zhao.ID, Role: "grid_worker", From: tomorrow}, a); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("replacing without approval: %v, want a conflict", err)
	}
	rep := res.ID
	pend, err := svc.Assign(ctx, "330106001001001", staff.AssignInput{StaffID: zhao.ID, Role: "grid_worker", From: tomorrow, Replaces: &rep}, a)
	if err != nil || !pend.NeedsApproval {
		t.Fatalf("replacement request: %v %+v", err, pend)
	}
	self := auth.Principal{Username: "planner1", Role: auth.Planner, Unit: "330106001000"}
	if _, err := svc.Decide(ctx, pend.ID, true, self, a); !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("self-approval: %v", err)
	}
	community := auth.Principal{Username: "c1", Role: auth.Planner, Unit: "330106001001"}
	if _, err := svc.Decide(ctx, pend.ID, true, community, a); !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("community-level approval: %v", err)
	}
	streetP := auth.Principal{Username: "s1", Role: auth.Planner, Unit: "330106001000"}
	if _, err := svc.Decide(ctx, pend.ID, true, streetP, a); err != nil {
		t.Fatalf("street approval: %v", err)
	}
	// Tomorrow's sweep puts 赵敏 on the card; 王芳's assignment ended today.
	svc.Now = func() time.Time { return time.Now().AddDate(0, 0, 1) }
	day, _ := time.Parse("2006-01-02", tomorrow)
	if _, err := svc.Sweep(ctx, day); err != nil {
		t.Fatal(err)
	}
	card("grid_worker:赵敏,informant:李强")
	if _, err := svc.Retire(ctx, li.ID, a); err != nil {
		t.Fatal(err)
	}
	card("grid_worker:赵敏")
	if _, err := svc.Assign(ctx, "330106001001001", staff.AssignInput{StaffID: li.ID, Role: "volunteer"}, a); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("assigning a retired person: %v", err)
	}
	if _, err := svc.Retire(ctx, zhao.ID, a); err != nil {
		t.Fatal(err)
	}
	card("")
}
