-- The outbox: every domain event (a change of state of a referral, reward, participant
-- or payout), written in the same transaction as the change. `seq` numbers a
-- workspace's events in commit order, so a subscriber that has seen `seq` N has seen
-- every earlier event of that workspace.
CREATE TABLE outbox (
    workspace_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    program_id TEXT,
    participant_id TEXT,
    -- The entity's public JSON after the change.
    data TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);

-- Each subscriber's position in each workspace's events. A new subscriber starts at 0
-- and so replays the whole history.
CREATE TABLE outbox_cursors (
    subscriber TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (subscriber, workspace_id)
);

-- The activity feed: the first subscriber's copy of the events, kept for the API.
CREATE TABLE activity (
    workspace_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    program_id TEXT,
    participant_id TEXT,
    data TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
CREATE INDEX activity_by_type ON activity (workspace_id, type, seq);
CREATE INDEX activity_by_program ON activity (workspace_id, program_id, seq);
CREATE INDEX activity_by_participant ON activity (workspace_id, participant_id, seq);
CREATE INDEX activity_by_subject ON activity (workspace_id, subject_id, seq);

-- The last `seq` handed out per workspace. Taking the next numbers locks this row until
-- commit, so numbers are committed in order even with many instances. (SQLite has a
-- single writer and reads the outbox's own maximum instead.)
CREATE TABLE outbox_sequences (
    workspace_id TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
