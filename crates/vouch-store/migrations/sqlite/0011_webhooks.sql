-- Outgoing webhooks (Standard Webhooks): the merchant's endpoints, each with its sealed
-- signing secret (and the previous one while a rotation's overlap lasts), and one
-- message per event and endpoint, retried by the job queue until delivered or given up.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT,
    -- JSON array of event types; empty: all
    event_types TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    secret_sealed TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_secret_until BIGINT,
    -- when its current run of failures began (null while it succeeds)
    failing_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id, id);

CREATE TABLE webhook_messages (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    -- the domain event (act_…); null for test messages
    event_id TEXT,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- pending, succeeded, failed
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    response_status BIGINT,
    response_body TEXT,
    duration_ms BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhook_messages_once ON webhook_messages (endpoint_id, event_id);
CREATE INDEX webhook_messages_by_endpoint ON webhook_messages (endpoint_id, id);
