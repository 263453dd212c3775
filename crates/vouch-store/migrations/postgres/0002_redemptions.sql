-- Credit spent by a participant: a ledger transfer available -> redeemed, recorded here
-- with the key that makes a retried request a no-op.
CREATE TABLE redemptions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    reference TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT redemptions_idempotency_uq UNIQUE (participant_id, idempotency_key)
);
CREATE INDEX redemptions_by_participant ON redemptions (participant_id, id);
