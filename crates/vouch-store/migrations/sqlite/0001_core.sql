-- The core referral loop. Times are BIGINT milliseconds since the epoch (as on SQLite);
-- booleans and statuses are TEXT so both backends read them the same way.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- Per-workspace secret for hashing IP addresses: clear IPs are never stored.
    hash_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    kind TEXT NOT NULL,
    -- SHA-256 of the key: keys are random and long, so a slow hash adds nothing.
    key_hash TEXT NOT NULL UNIQUE,
    key_hint TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE programs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    -- Global: landing pages are /p/{slug}, outside any workspace.
    slug TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX programs_by_workspace ON programs (workspace_id, id);

CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    email TEXT,
    email_normalized TEXT,
    name TEXT,
    external_id TEXT,
    locale TEXT NOT NULL,
    status TEXT NOT NULL,
    referred_by_referral_id TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT participants_email_uq UNIQUE (program_id, email_normalized),
    CONSTRAINT participants_external_id_uq UNIQUE (program_id, external_id)
);
CREATE INDEX participants_by_workspace ON participants (workspace_id, program_id, id);

CREATE TABLE referral_codes (
    -- Global and upper-case: links are /r/{code}, outside any workspace, and codes
    -- match whatever the case they are typed in.
    code TEXT PRIMARY KEY,
    -- The code as the advocate chose it, for links and pages.
    display TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX referral_codes_by_participant ON referral_codes (participant_id, created_at);

-- Append-only click log: the hot write path, so no foreign keys and few indexes.
CREATE TABLE clicks (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    code TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    ip_hash TEXT,
    user_agent TEXT,
    referer TEXT
) WITHOUT ROWID; -- ids are time-ordered, so rows append; no separate rowid B-tree
CREATE INDEX clicks_by_participant ON clicks (participant_id);

-- A friend as known to one program; the attribution is decided once, here.
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    email_normalized TEXT,
    external_id TEXT,
    referral_id TEXT,
    attribution_source TEXT,
    attribution_model TEXT,
    attribution_window_days BIGINT,
    attributed_at BIGINT,
    first_purchase_at BIGINT,
    created_at BIGINT NOT NULL,
    CONSTRAINT customers_email_uq UNIQUE (program_id, email_normalized),
    CONSTRAINT customers_external_id_uq UNIQUE (program_id, external_id)
);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    referrer_participant_id TEXT NOT NULL,
    referee_participant_id TEXT,
    -- One referral per friend per program.
    customer_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    reason TEXT,
    source TEXT NOT NULL,
    click_id TEXT,
    touched_at BIGINT NOT NULL,
    signed_up_at BIGINT,
    converted_at BIGINT,
    conversion_event_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX referrals_by_workspace ON referrals (workspace_id, id);
CREATE INDEX referrals_by_referrer ON referrals (referrer_participant_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    type TEXT NOT NULL,
    -- `{type}:order:{order_id}`, `key:{Idempotency-Key}`, or the event id itself.
    idempotency_key TEXT NOT NULL,
    order_id TEXT,
    customer_id TEXT,
    referral_id TEXT,
    amount BIGINT,
    currency TEXT,
    occurred_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The answer given, replayed verbatim for a retried request.
    response_status BIGINT,
    response TEXT,
    CONSTRAINT events_idempotency_uq UNIQUE (program_id, idempotency_key)
);
CREATE INDEX events_by_order ON events (program_id, type, order_id);

CREATE TABLE rewards (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    referral_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    role TEXT NOT NULL,
    -- Which rule of the referral earned it (`first_purchase`): with the referral and
    -- role, the key that makes every reward exist exactly once.
    trigger TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    -- A copy of the rule that produced it: editing the program never changes it.
    rule TEXT NOT NULL,
    -- What the rule was applied to (order, amounts, attribution): the explanation.
    inputs TEXT NOT NULL,
    program_version BIGINT NOT NULL,
    approve_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT rewards_once_uq UNIQUE (referral_id, role, trigger)
);
CREATE INDEX rewards_by_workspace ON rewards (workspace_id, id);
CREATE INDEX rewards_by_participant ON rewards (participant_id);
CREATE INDEX rewards_by_event ON rewards (event_id);

-- Immutable double-entry ledger. Postings of one transaction sum to zero per currency.
CREATE TABLE ledger_transactions (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    reward_id TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE ledger_postings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    workspace_id TEXT NOT NULL,
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX ledger_postings_by_account ON ledger_postings (account, currency);

-- Durable background work; SQLite has one writer, so claiming needs no row locks.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_by_run_at ON jobs (run_at);
