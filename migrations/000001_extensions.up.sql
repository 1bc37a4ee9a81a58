-- PostGIS for geometry, pg_trgm for fuzzy address search.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
