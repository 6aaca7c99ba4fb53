-- Every change to the shared state (facts, catalog, governance, reloads), one row per commit,
-- written in the same transaction as its data. Replicas apply it in `seq` order: NOTIFY wakes
-- them, the sequence lets them catch up after a missed notification or a reconnect.
CREATE TABLE change_log (
    seq BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    origin TEXT NOT NULL,
    scope JSONB NOT NULL
);
