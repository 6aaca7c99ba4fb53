-- Fleet change rollouts: the change (its definition, and its state as the controller keeps it),
-- its components, the outcomes reported (append-only: the burn-up is read from it) and the
-- append-only audit log of its transitions.
CREATE TABLE fleet_changes (
    id TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE fleet_change_members (
    change_id TEXT NOT NULL REFERENCES fleet_changes (id) ON DELETE CASCADE,
    entity_ref TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (change_id, entity_ref)
);

CREATE TABLE fleet_change_outcomes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id TEXT NOT NULL REFERENCES fleet_changes (id) ON DELETE CASCADE,
    entity_ref TEXT NOT NULL,
    outcome TEXT NOT NULL,
    pr_url TEXT,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    reported_by TEXT NOT NULL
);
CREATE INDEX fleet_change_outcomes_by_change ON fleet_change_outcomes (change_id, seq);

CREATE TABLE fleet_change_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX fleet_change_audit_by_change ON fleet_change_audit (change_id, seq);
