-- Every run of a collector: when, what it was asked for, what it touched, what went wrong.
CREATE TABLE collector_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collector TEXT NOT NULL,
    trigger TEXT NOT NULL,
    scope TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    status TEXT NOT NULL,
    entities_touched INTEGER NOT NULL,
    errors TEXT NOT NULL
);
CREATE INDEX collector_runs_by_collector ON collector_runs (collector, started_at);

-- Facts a collector could not refresh stay, marked stale with the reason and since when.
ALTER TABLE facts ADD COLUMN stale_reason TEXT;
ALTER TABLE facts ADD COLUMN stale_since TEXT;
