-- Raw fixes are read by worker and time (the primary key) — for the sweep,
-- playback and the grid card — never by place: places are asked of the day
-- tracks in patrol_days, which has its own GiST index. Maintaining a GiST
-- index over 30 million points a day cost more than half the ingest time
-- (BenchmarkPatrolIngest), so it goes.
DROP INDEX IF EXISTS patrol_points_pt_gist;
