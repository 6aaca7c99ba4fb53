-- Every change to the shared state, one row per commit (see the Postgres migration). A SQLite
-- store has one replica; the log keeps the sequence the same on both stores.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    origin TEXT NOT NULL,
    scope TEXT NOT NULL
);
