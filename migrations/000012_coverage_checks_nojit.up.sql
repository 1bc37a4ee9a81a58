-- coverage_defects calls costly PostGIS functions, so the planner's cost
-- estimate always crosses jit_above_cost and PostgreSQL spends seconds
-- compiling a plan that runs in a fraction of that (1,000 grids: 4.4 s with
-- JIT, 0.6 s without). Never JIT it.
ALTER FUNCTION coverage_defects(text, float8) SET jit = off;
