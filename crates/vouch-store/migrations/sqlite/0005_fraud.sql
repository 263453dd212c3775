-- Fraud: what events and enrolments tell about networks and devices (IPs only as
-- keyed hashes), each referral's risk and review, the merchant's block list, and the
-- audit log of every decision.
ALTER TABLE events ADD COLUMN ip_hash TEXT;
ALTER TABLE events ADD COLUMN device_id TEXT;
ALTER TABLE events ADD COLUMN payment_fingerprint TEXT;

ALTER TABLE participants ADD COLUMN ip_hash TEXT;
ALTER TABLE participants ADD COLUMN ua_hash TEXT;
ALTER TABLE participants ADD COLUMN device_id TEXT;
ALTER TABLE participants ADD COLUMN payment_fingerprint TEXT;

-- The friend's network and device as first seen, to find friends who share them.
ALTER TABLE referrals ADD COLUMN ip_hash TEXT;
ALTER TABLE referrals ADD COLUMN ip_range_hash TEXT;
ALTER TABLE referrals ADD COLUMN device_id TEXT;
ALTER TABLE referrals ADD COLUMN risk_score BIGINT NOT NULL DEFAULT 0;
-- JSON list of signals, each with its code, weight and explanation.
ALTER TABLE referrals ADD COLUMN signals TEXT;
-- NULL, or `pending`, `approved`, `rejected` once held for review.
ALTER TABLE referrals ADD COLUMN review TEXT;
CREATE INDEX referrals_by_review ON referrals (workspace_id, review, id);
CREATE INDEX referrals_by_referrer_touched ON referrals (referrer_participant_id, touched_at);
CREATE INDEX referrals_by_ip_range ON referrals (program_id, ip_range_hash, touched_at);
CREATE INDEX referrals_by_referrer_ip ON referrals (referrer_participant_id, ip_hash);
CREATE INDEX referrals_by_referrer_device ON referrals (referrer_participant_id, device_id);
CREATE INDEX referrals_by_referrer_status ON referrals (referrer_participant_id, status);

CREATE TABLE block_list (
    workspace_id TEXT NOT NULL,
    -- `email` (normalized), `domain` or `ip` (keyed hash).
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    -- What the merchant typed, except for IPs, which are never stored in clear.
    label TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    -- `system`, or the API key that asked.
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    reason TEXT,
    data TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, id);
CREATE INDEX audit_log_by_subject ON audit_log (subject_id, id);
