-- The email outbox: one row per email to one person, written from a domain event (or an
-- invitation, or a reminder) and sent by the job queue, so an email goes once, is
-- retried when the mail server fails, and survives a restart.
CREATE TABLE email_messages (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    -- whom it is about: the recipient, or for invitations the advocate who sent it
    participant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- the recipient (known at once for invitations, filled in when sent otherwise)
    to_address TEXT,
    locale TEXT,
    -- the facts the message shows (the event's entity, the invitation's note)
    data TEXT NOT NULL,
    -- one email per event and kind, per reminder, per invited friend
    dedupe_key TEXT NOT NULL,
    -- pending, sent, skipped, failed
    status TEXT NOT NULL,
    reason TEXT,
    subject TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    send_at BIGINT NOT NULL,
    sent_at BIGINT,
    smtp_message_id TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX email_messages_once ON email_messages (workspace_id, dedupe_key);
CREATE INDEX email_messages_by_workspace ON email_messages (workspace_id, id);
CREATE INDEX email_messages_by_participant ON email_messages (participant_id, kind, created_at);

-- Addresses that get no program emails: unsubscribed (messages about money owed still
-- go), bounced, complained, or added by the merchant.
CREATE TABLE email_suppressions (
    workspace_id TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    email TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, email_normalized)
);

-- A program's own words for a message in one language (the template source format).
CREATE TABLE email_templates (
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    locale TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (program_id, kind, locale)
);

-- The emails subscriber starts at the end of each existing workspace's events: an
-- upgrade must not email people about everything that happened before it.
INSERT INTO outbox_cursors (subscriber, workspace_id, last_seq, updated_at)
SELECT 'emails', w.id, COALESCE((SELECT MAX(o.seq) FROM outbox o WHERE o.workspace_id = w.id), 0), 0
FROM workspaces w WHERE true
ON CONFLICT DO NOTHING;
