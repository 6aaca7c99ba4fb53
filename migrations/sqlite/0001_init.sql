-- Catalog entities as Backstage describes them (the envelope, as JSON).
CREATE TABLE entities (
    entity_ref TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The latest facts of each collector about each entity.
CREATE TABLE facts (
    entity_ref TEXT NOT NULL REFERENCES entities (entity_ref) ON DELETE CASCADE,
    collector TEXT NOT NULL,
    facts TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    PRIMARY KEY (entity_ref, collector)
);

-- Every fact batch received, pruned by age and by count.
CREATE TABLE fact_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_ref TEXT NOT NULL REFERENCES entities (entity_ref) ON DELETE CASCADE,
    collector TEXT NOT NULL,
    facts TEXT NOT NULL,
    observed_at TEXT NOT NULL
);
CREATE INDEX fact_history_by_entity ON fact_history (entity_ref, collector, observed_at);
CREATE INDEX fact_history_by_age ON fact_history (observed_at);

-- The latest evaluation of each scored entity.
CREATE TABLE results (
    entity_ref TEXT PRIMARY KEY NOT NULL REFERENCES entities (entity_ref) ON DELETE CASCADE,
    golden BOOLEAN NOT NULL,
    eligible BOOLEAN NOT NULL,
    levels TEXT NOT NULL,
    statuses TEXT NOT NULL,
    blocking TEXT NOT NULL,
    evaluated_at TEXT NOT NULL
);

-- Rollups over every component a group owns, directly or through its descendants.
CREATE TABLE group_aggregates (
    group_ref TEXT PRIMARY KEY NOT NULL,
    summary TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One rollup per group per day: the last of that day.
CREATE TABLE group_snapshots (
    group_ref TEXT NOT NULL,
    day TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (group_ref, day)
);
