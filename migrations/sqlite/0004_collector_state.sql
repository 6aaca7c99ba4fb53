-- What a collector keeps between runs (ETags, head commits, last good facts), as one JSON
-- document, so that a restarted service refreshes as cheaply as a running one.
CREATE TABLE collector_state (
    collector TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
