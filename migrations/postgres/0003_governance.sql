-- Exemptions: one row each, its state kept current (`active`, `revoked`, `expired`); the body
-- is the whole record as JSON.
CREATE TABLE exemptions (
    id TEXT PRIMARY KEY NOT NULL,
    entity_ref TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    body JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX exemptions_by_entity ON exemptions (entity_ref);

-- Append-only: every exemption created, revoked or expired.
CREATE TABLE exemption_audit (
    seq BIGSERIAL PRIMARY KEY,
    exemption_id TEXT NOT NULL,
    entity_ref TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    body JSONB NOT NULL
);

-- Campaigns: the definition and last known state.
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    body JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- A campaign's progress, one point per day: the last of that day.
CREATE TABLE campaign_progress (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    progress JSONB NOT NULL,
    PRIMARY KEY (campaign_id, day)
);

-- Outbound events, written in the transaction of the change that caused them, one row per
-- webhook; delivered at least once. The payload is kept as the exact bytes that are signed.
CREATE TABLE event_outbox (
    event_id TEXT NOT NULL,
    target TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    last_error TEXT,
    PRIMARY KEY (event_id, target)
);
CREATE INDEX event_outbox_due ON event_outbox (delivered_at, next_attempt_at);
