-- Contests among a program's advocates: prizes for the top places, issued once when
-- the contest closes (its period plus the program's hold).
CREATE TABLE contests (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    name TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    rank_by TEXT NOT NULL,
    currency TEXT NOT NULL,
    -- JSON: one reward rule per place.
    prizes TEXT NOT NULL,
    status TEXT NOT NULL,
    -- JSON: the places fixed at closing.
    winners TEXT NOT NULL,
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contests_by_workspace ON contests (workspace_id, program_id, id);
CREATE INDEX contests_due ON contests (status, closes_at);
