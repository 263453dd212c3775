-- The reward engine: rewards without a referral (welcome rewards), coupons and their
-- pools, partial reversals, fulfilment, payouts; a referral's payment count and the
-- rewards its limits refused.

-- SQLite cannot drop NOT NULL in place: the rewards table is rebuilt.
CREATE TABLE rewards_v3 (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    -- Absent for rewards not tied to a referral (the welcome reward).
    referral_id TEXT,
    event_id TEXT,
    role TEXT NOT NULL,
    trigger TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    rule TEXT NOT NULL,
    inputs TEXT NOT NULL,
    program_version BIGINT NOT NULL,
    approve_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- Why a pending reward waits beyond its hold (`coupon_pool_empty`, `review`).
    pending_reason TEXT,
    -- Clawed back by partial refunds so far (minor units).
    reversed_amount BIGINT NOT NULL DEFAULT 0,
    coupon_code TEXT,
    coupon_expires_at BIGINT,
    fulfilment_reference TEXT,
    fulfilled_at BIGINT,
    payout_line_id TEXT,
    CONSTRAINT rewards_once_uq UNIQUE (referral_id, role, trigger)
);
INSERT INTO rewards_v3 (id, workspace_id, program_id, participant_id, referral_id, event_id,
    role, trigger, kind, amount, currency, status, rule, inputs, program_version, approve_at,
    created_at, updated_at)
SELECT id, workspace_id, program_id, participant_id, referral_id, event_id, role, trigger,
    kind, amount, currency, status, rule, inputs, program_version, approve_at, created_at,
    updated_at
FROM rewards;
DROP TABLE rewards;
ALTER TABLE rewards_v3 RENAME TO rewards;
CREATE INDEX rewards_by_workspace ON rewards (workspace_id, id);
CREATE INDEX rewards_by_participant ON rewards (participant_id, role, created_at);
CREATE INDEX rewards_by_event ON rewards (event_id);
CREATE INDEX rewards_by_program ON rewards (program_id, status);
CREATE UNIQUE INDEX rewards_coupon_uq ON rewards (program_id, coupon_code);
CREATE INDEX rewards_by_payout_line ON rewards (payout_line_id);

ALTER TABLE referrals ADD COLUMN payments BIGINT NOT NULL DEFAULT 0;
UPDATE referrals SET payments = 1 WHERE conversion_event_id IS NOT NULL;
-- JSON list of rewards a limit refused, each with its reason.
ALTER TABLE referrals ADD COLUMN skipped TEXT;
CREATE INDEX referrals_by_referrer_converted ON referrals (referrer_participant_id, converted_at);

CREATE TABLE coupon_pools (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX coupon_pools_by_program ON coupon_pools (program_id, id);
CREATE TABLE coupon_pool_codes (
    pool_id TEXT NOT NULL REFERENCES coupon_pools (id),
    code TEXT NOT NULL,
    -- The reward it was drawn for; NULL while available.
    reward_id TEXT,
    seq INTEGER NOT NULL,
    PRIMARY KEY (pool_id, code)
);
CREATE INDEX coupon_pool_codes_free ON coupon_pool_codes (pool_id, reward_id, seq);

CREATE TABLE payouts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payouts_by_workspace ON payouts (workspace_id, id);
CREATE TABLE payout_lines (
    id TEXT PRIMARY KEY,
    payout_id TEXT NOT NULL REFERENCES payouts (id),
    workspace_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    email TEXT,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    reference TEXT,
    error TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payout_lines_by_payout ON payout_lines (payout_id, id);
