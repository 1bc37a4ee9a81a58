package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"wangge/geo/camera"
	"wangge/geo/crs"
	"wangge/geo/precision"
	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/importer"
	"wangge/internal/store"
	unitcode "wangge/internal/unit"
)

// maxCameraRows bounds a camera file: a street's cameras are hundreds.
const maxCameraRows = 5000

// cameraBody is one camera as posted or as a file row.
type cameraBody struct {
	Name    string  `json:"name"`
	Lon     float64 `json:"lon"`
	Lat     float64 `json:"lat"`
	CRS     string  `json:"crs"`
	Azimuth float64 `json:"azimuth"`
	Angle   float64 `json:"angle"`
	RangeM  float64 `json:"range_m"`
}

// input checks a camera and makes its view: the position in WGS-84 on the
// 1e-7° grid, the numbers within geo/camera's limits.
func (b cameraBody) input(sys crs.System, row int) (store.CameraInput, error) {
	name := strings.TrimSpace(b.Name)
	if name == "" || len([]rune(name)) > 100 {
		return store.CameraInput{}, errors.New("name: want 1 to 100 characters")
	}
	p := crs.ToWGS84(sys, orb.Point{b.Lon, b.Lat})
	p = precision.Point(p)
	cam := camera.Camera{Point: p, Azimuth: b.Azimuth, Angle: b.Angle, RangeM: b.RangeM}
	view, err := cam.View()
	if err != nil {
		return store.CameraInput{}, err
	}
	return store.CameraInput{Name: name, Camera: cam, View: view, Row: row}, nil
}

func (s *Server) saveCameras(c echo.Context, in []store.CameraInput, what string) ([]int64, int, error) {
	p := principal(c)
	var actor *int64
	if p.UserID != 0 {
		actor = &p.UserID
	}
	return s.opt.Store.SaveCameras(c.Request().Context(), in, actor,
		func(grid string) bool { return p.Can(auth.PlaceCameras, grid) }, auditBase(c, "place", "cameras", what))
}

// postCamera answers POST /api/cameras {"name", "lon", "lat", "crs"?,
// "azimuth", "angle", "range_m"}: 201 {"id"} for a new camera, 200 when the
// region already had one of that name (it is updated).
func (s *Server) postCamera(c echo.Context) error {
	var b cameraBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	sys, err := crs.Parse(b.CRS)
	if b.CRS == "" {
		sys, err = crs.WGS84, nil
	}
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "%v", err)
	}
	in, err := b.input(sys, 0)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "%v", err)
	}
	ids, created, err := s.saveCameras(c, []store.CameraInput{in}, in.Name)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created == 1 {
		status = http.StatusCreated
	}
	return c.JSON(status, map[string]any{"id": ids[0]})
}

// cameraColumns are the file headers each field is read from.
var cameraColumns = map[string][]string{
	"name": {"name", "名称", "点位名称"}, "lon": {"lon", "经度"}, "lat": {"lat", "纬度"},
	"azimuth": {"azimuth", "方向", "方位角"}, "angle": {"angle", "视角"}, "range_m": {"range_m", "距离", "范围"},
}

// importCameras answers POST /api/cameras/import: a multipart .csv/.xlsx
// (field "file", optional "crs") with the columns of cameraColumns. All rows
// are stored in one transaction or none: bad rows give 422 listing each.
func (s *Server) importCameras(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "want a multipart upload with the file in field \"file\"")
	}
	sys := crs.WGS84
	if v := c.FormValue("crs"); v != "" {
		if sys, err = crs.Parse(v); err != nil {
			return apperr.New(apperr.ErrInvalid, "%v", err)
		}
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	header, rows, numbers, err := importer.ReadTable(f, fh.Filename, fh.Size, maxCameraRows)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "%v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		for field, names := range cameraColumns {
			for _, n := range names {
				if strings.EqualFold(strings.TrimSpace(h), n) {
					col[field] = i
				}
			}
		}
	}
	var missing []string
	for _, field := range []string{"name", "lon", "lat", "azimuth", "angle", "range_m"} {
		if _, ok := col[field]; !ok {
			missing = append(missing, field+" ("+strings.Join(cameraColumns[field], "/")+")")
		}
	}
	if len(missing) > 0 {
		return apperr.New(apperr.ErrInvalid, "missing columns: %s", strings.Join(missing, ", "))
	}
	var in []store.CameraInput
	var problems []string
	for i, rec := range rows {
		cell := func(f string) string {
			if j := col[f]; j < len(rec) {
				return strings.TrimSpace(rec[j])
			}
			return ""
		}
		num := func(f string) float64 {
			v, err := strconv.ParseFloat(cell(f), 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("row %d: %s %q is not a number", numbers[i], f, cell(f)))
				return math.NaN()
			}
			return v
		}
		b := cameraBody{Name: cell("name"), Lon: num("lon"), Lat: num("lat"), Azimuth: num("azimuth"), Angle: num("angle"), RangeM: num("range_m")}
		ci, err := b.input(sys, numbers[i])
		if err != nil {
			problems = append(problems, fmt.Sprintf("row %d: %v", numbers[i], err))
			continue
		}
		in = append(in, ci)
	}
	if len(problems) > 0 {
		return c.JSON(http.StatusUnprocessableEntity, apperr.Body{Error: apperr.BodyError{
			Code: "invalid_rows", Message: fmt.Sprintf("%d problems; nothing stored", len(problems)), Details: problems}})
	}
	if len(in) == 0 {
		return apperr.New(apperr.ErrInvalid, "the file has no camera rows")
	}
	ids, created, err := s.saveCameras(c, in, fh.Filename)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"cameras": len(ids), "created": created, "updated": len(ids) - created})
}

// unitParam reads a unit code parameter the caller may do a in.
func unitParam(c echo.Context, name string, a auth.Action) (string, error) {
	u := c.QueryParam(name)
	if !unitcode.IsUnitCode(u) {
		return "", apperr.New(apperr.ErrInvalid, "%s %q: want a unit code", name, u)
	}
	return u, authorize(c, a, u)
}

// getCameras answers GET /api/cameras?unit=: the cameras standing in the
// unit with their views, as GeoJSON. Where cameras look is security work,
// not map data: those who read patrols or place cameras there see them.
func (s *Server) getCameras(c echo.Context) error {
	u := c.QueryParam("unit")
	if !unitcode.IsUnitCode(u) {
		return apperr.New(apperr.ErrInvalid, "unit %q: want a unit code", u)
	}
	if p := principal(c); !p.Can(auth.PlaceCameras, u) && !p.Can(auth.ReadPatrol, u) {
		return apperr.New(apperr.ErrForbidden, "%s %s may not read the cameras of unit %s", p.Role, p.Username, u)
	}
	fc, err := s.opt.Store.Cameras(c.Request().Context(), u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fc)
}

// blindSpots answers GET /api/patrol/blind-spots?grid=: the parts of the
// unit no camera sees, with area_m2 and a summary.
func (s *Server) blindSpots(c echo.Context) error {
	u, err := unitParam(c, "grid", auth.ReadPatrol)
	if err != nil {
		return err
	}
	fc, err := s.opt.Store.BlindSpots(c.Request().Context(), u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fc)
}
