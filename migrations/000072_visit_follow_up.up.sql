-- A visit's follow-up opens an incident in the same transaction; the case's
-- id (the visit's own UUID) is kept so a retried visit answers with it.
ALTER TABLE visits ADD COLUMN incident_id text;
