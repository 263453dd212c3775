-- What each program's standing rewards add up to, per currency (points as PTS): the
-- budget check reads one row instead of summing every reward. Changed in the same
-- transaction as the rewards it sums (created, cancelled, reversed, clawed back).
CREATE TABLE program_spend (
    program_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (program_id, currency)
);
INSERT INTO program_spend (program_id, currency, amount)
SELECT program_id, currency, SUM(amount - reversed_amount) FROM rewards
WHERE status NOT IN ('cancelled', 'reversed') GROUP BY program_id, currency;

-- Tiers, milestones and caps count an advocate's conversions and rewards on every
-- purchase: covering indexes keep those counts to index-only scans.
DROP INDEX referrals_by_referrer_converted;
CREATE INDEX referrals_by_referrer_converted ON referrals (referrer_participant_id, converted_at, status);
DROP INDEX rewards_by_participant;
CREATE INDEX rewards_by_participant ON rewards (participant_id, role, created_at, status, currency, amount, reversed_amount);
