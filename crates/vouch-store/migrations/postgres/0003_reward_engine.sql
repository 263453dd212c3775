-- The reward engine: rewards without a referral (welcome rewards), coupons and their
-- pools, partial reversals, fulfilment, payouts; a referral's payment count and the
-- rewards its limits refused.

ALTER TABLE rewards ALTER COLUMN referral_id DROP NOT NULL;
ALTER TABLE rewards ALTER COLUMN event_id DROP NOT NULL;
-- Why a pending reward waits beyond its hold (`coupon_pool_empty`, `review`).
ALTER TABLE rewards ADD COLUMN pending_reason TEXT;
-- Clawed back by partial refunds so far (minor units).
ALTER TABLE rewards ADD COLUMN reversed_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rewards ADD COLUMN coupon_code TEXT;
ALTER TABLE rewards ADD COLUMN coupon_expires_at BIGINT;
ALTER TABLE rewards ADD COLUMN fulfilment_reference TEXT;
ALTER TABLE rewards ADD COLUMN fulfilled_at BIGINT;
ALTER TABLE rewards ADD COLUMN payout_line_id TEXT;
DROP INDEX rewards_by_participant;
CREATE INDEX rewards_by_participant ON rewards (participant_id, role, created_at);
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
    seq BIGINT NOT NULL,
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
