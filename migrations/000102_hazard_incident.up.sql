-- An overdue hazard opens one incident (事件) in the fire-hazard category
-- (issue #16: overdue hazards escalate like incidents): the sweep that marks
-- it overdue stores the case here in the same transaction, so it is opened
-- once. Partial index: only escalated hazards carry one.
ALTER TABLE hazards ADD COLUMN incident_id bigint REFERENCES incidents (id);
CREATE UNIQUE INDEX hazards_incident ON hazards (incident_id) WHERE incident_id IS NOT NULL;
