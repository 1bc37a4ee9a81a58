-- Place outlines (issue #16: rooms and buildings "as points or polygons").
-- The column came with 000100; what a stored outline must be is checked
-- here too, behind the service's checks, so no other writer can store an
-- outline that the map, the distance check and the parent check would
-- misread: a polygon with area whose point (the place's marker, by default
-- a point on its surface) lies on it, on the 1e-7° grid like every stored
-- geometry, and of a size a hand-drawn or imported room outline has.
ALTER TABLE places
    ADD CONSTRAINT places_outline_holds_point CHECK (polygon IS NULL OR ST_Covers(polygon, pt)),
    ADD CONSTRAINT places_outline_size CHECK (polygon IS NULL OR (NOT ST_IsEmpty(polygon) AND ST_NPoints(polygon) <= 5000));
