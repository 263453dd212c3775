-- Shop integrations: a Shopify, WooCommerce or Stripe account whose signed webhooks
-- report a program's purchases, refunds and signups. The signing secret is sealed
-- (encrypted under the server's secret); the previous one keeps verifying until its
-- overlap ends after a rotation.
CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    name TEXT,
    secret_sealed TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_secret_until BIGINT,
    options TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX integrations_workspace ON integrations (workspace_id, id);

-- Every verified delivery with its verdict, so the merchant sees what Vouch made of
-- each webhook (and why one was refused). A delivery id already processed is not
-- processed again.
CREATE TABLE integration_deliveries (
    id TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    -- the platform's id of the delivery (Shopify webhook id, Stripe event id, ...)
    delivery_key TEXT,
    topic TEXT NOT NULL,
    -- processed, ignored, unmappable or failed
    verdict TEXT NOT NULL,
    status BIGINT NOT NULL,
    reason TEXT,
    event_ids TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX integration_deliveries_by_integration ON integration_deliveries (integration_id, id);
CREATE INDEX integration_deliveries_by_key ON integration_deliveries (integration_id, delivery_key);
