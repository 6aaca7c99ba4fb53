-- Every run of a collector: when, what it was asked for, what it touched, what went wrong.
CREATE TABLE collector_runs (
    id BIGSERIAL PRIMARY KEY,
    collector TEXT NOT NULL,
    trigger TEXT NOT NULL,
    scope TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    entities_touched BIGINT NOT NULL,
    errors JSONB NOT NULL
);
CREATE INDEX collector_runs_by_collector ON collector_runs (collector, started_at);

-- Facts a collector could not refresh stay, marked stale with the reason and since when.
ALTER TABLE facts ADD COLUMN stale_reason TEXT;
ALTER TABLE facts ADD COLUMN stale_since TIMESTAMPTZ;
