-- Analytics rollups: a report's counts per program, in one currency each ('' for the
-- counts that have none: clicks, signups, conversions), at four grains:
--   rollup_quarters  per UTC quarter hour and channel (the edges of a period, and any
--                    time zone's days: every offset is a whole number of quarters);
--   rollup_days      per UTC day, the program's local day (in `zone`) and channel;
--   rollup_advocates per UTC day and advocate: clicks and signups;
--   rollup_results   per UTC day and advocate: conversions and money (what leaderboards
--                    rank by; far fewer rows than clicks);
--   rollup_delays    per UTC day: a histogram of times to conversion.
-- A (program, UTC day) is recomputed from the raw rows whenever something in it changed,
-- replacing its rows at every grain, so nothing is ever added twice.
CREATE TABLE rollup_quarters (
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    quarter BIGINT NOT NULL,
    channel TEXT NOT NULL,
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
    PRIMARY KEY (program_id, quarter, channel, currency)
);
CREATE INDEX rollup_quarters_by_workspace ON rollup_quarters (workspace_id, quarter);

CREATE TABLE rollup_days (
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    local_day BIGINT NOT NULL,
    -- the time zone `local_day` was counted in ('' for UTC)
    zone TEXT NOT NULL,
    channel TEXT NOT NULL,
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
    PRIMARY KEY (program_id, day, local_day, channel, currency)
);
CREATE INDEX rollup_days_by_local_day ON rollup_days (program_id, local_day);
CREATE INDEX rollup_days_by_workspace ON rollup_days (workspace_id, day);

CREATE TABLE rollup_advocates (
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    day BIGINT NOT NULL,
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
    PRIMARY KEY (program_id, day, participant_id, currency)
);
CREATE INDEX rollup_advocates_by_workspace ON rollup_advocates (workspace_id, day);

CREATE TABLE rollup_results (
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    day BIGINT NOT NULL,
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
    PRIMARY KEY (program_id, day, participant_id, currency)
);
CREATE INDEX rollup_results_by_workspace ON rollup_results (workspace_id, day);

-- Time from click (or first contact) to conversion, as a histogram per program and
-- UTC day of the conversion: `bucket` is floor(8 × log2(1 + minutes)).
CREATE TABLE rollup_delays (
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    bucket BIGINT NOT NULL,
    conversions BIGINT NOT NULL,
    PRIMARY KEY (program_id, day, bucket)
);

-- Days whose rollups must be recomputed; `version` moves each time the day is marked
-- again, so a recompute that raced a newer change leaves the mark in place.
CREATE TABLE rollup_dirty (
    program_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    workspace_id TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, day)
);

-- One row: how far the rollups reach. `scanned_to` is the wall-clock millisecond up to
-- which new clicks, events and outbox rows (by their time-ordered ids) have marked
-- their days; `settled_to` the instant before which reports may read the rollups
-- (later activity is counted from the raw rows). `lease_until` lets one instance at a
-- time refresh.
CREATE TABLE rollup_state (
    id BIGINT PRIMARY KEY,
    scanned_to BIGINT NOT NULL,
    settled_to BIGINT NOT NULL,
    lease_until BIGINT NOT NULL
);
INSERT INTO rollup_state (id, scanned_to, settled_to, lease_until) VALUES (1, 0, 0, 0);

-- What a day's recompute and the report's raw edges read by program and time.
CREATE INDEX clicks_by_program_time ON clicks (program_id, occurred_at);
CREATE INDEX events_by_referral ON events (referral_id);
CREATE INDEX events_by_program_time ON events (program_id, occurred_at);
CREATE INDEX referrals_by_program_signed_up ON referrals (program_id, signed_up_at);
CREATE INDEX referrals_by_program_converted ON referrals (program_id, converted_at);
CREATE INDEX rewards_by_program_created ON rewards (program_id, created_at);
