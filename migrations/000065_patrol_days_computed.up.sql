-- The newest computation of a region's worker-days: the generation that keys
-- cached track tiles (a sweep that writes a day moves it), one index probe.
CREATE INDEX patrol_days_region_computed ON patrol_days (region_code, computed_at DESC);
