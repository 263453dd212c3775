-- Each advocate's conversions and money over all time, kept with rollup_results: every
-- (program, day) recomputed adds the difference between its new and old rows. An
-- all-time leaderboard reads the top of an index instead of summing a row per advocate
-- and day.
CREATE TABLE rollup_totals (
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    clicks BIGINT NOT NULL,
    unique_clicks BIGINT NOT NULL,
    signups BIGINT NOT NULL,
    conversions BIGINT NOT NULL,
    revenue BIGINT NOT NULL,
    refunds BIGINT NOT NULL,
    reward_pending BIGINT NOT NULL,
    reward_approved BIGINT NOT NULL,
    reward_reversed BIGINT NOT NULL,
    PRIMARY KEY (program_id, participant_id, currency)
);
CREATE INDEX rollup_totals_by_conversions ON rollup_totals
    (program_id, currency, conversions DESC, participant_id);
CREATE INDEX rollup_totals_by_net_revenue ON rollup_totals
    (program_id, currency, (revenue - refunds) DESC, participant_id);

INSERT INTO rollup_totals (workspace_id, program_id, participant_id, currency, clicks,
    unique_clicks, signups, conversions, revenue, refunds, reward_pending, reward_approved,
    reward_reversed)
SELECT MIN(workspace_id), program_id, participant_id, currency, SUM(clicks),
    SUM(unique_clicks), SUM(signups), SUM(conversions), SUM(revenue), SUM(refunds),
    SUM(reward_pending), SUM(reward_approved), SUM(reward_reversed)
FROM rollup_results GROUP BY program_id, participant_id, currency;

-- The same per UTC calendar month (`month`: the day number of its first day): a
-- month's leaderboard is the top of this index, corrected by the few days of the month
-- outside the period.
CREATE TABLE rollup_months (
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    month BIGINT NOT NULL,
    participant_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    clicks BIGINT NOT NULL,
    unique_clicks BIGINT NOT NULL,
    signups BIGINT NOT NULL,
    conversions BIGINT NOT NULL,
    revenue BIGINT NOT NULL,
    refunds BIGINT NOT NULL,
    reward_pending BIGINT NOT NULL,
    reward_approved BIGINT NOT NULL,
    reward_reversed BIGINT NOT NULL,
    PRIMARY KEY (program_id, month, participant_id, currency)
);
CREATE INDEX rollup_months_by_conversions ON rollup_months
    (program_id, month, currency, conversions DESC, participant_id);
CREATE INDEX rollup_months_by_net_revenue ON rollup_months
    (program_id, month, currency, (revenue - refunds) DESC, participant_id);

INSERT INTO rollup_months (workspace_id, program_id, month, participant_id, currency,
    clicks, unique_clicks, signups, conversions, revenue, refunds, reward_pending,
    reward_approved, reward_reversed)
SELECT MIN(workspace_id), program_id, m, participant_id, currency, SUM(clicks),
    SUM(unique_clicks), SUM(signups), SUM(conversions), SUM(revenue), SUM(refunds),
    SUM(reward_pending), SUM(reward_approved), SUM(reward_reversed)
FROM (SELECT r.*, CAST(strftime('%s', date(day * 86400, 'unixepoch', 'start of month')) AS BIGINT) / 86400 AS m FROM rollup_results r) AS x
GROUP BY program_id, m, participant_id, currency;
