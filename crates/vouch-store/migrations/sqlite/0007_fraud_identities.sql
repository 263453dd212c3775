-- The identity graph: every device, card and mailbox a person showed in a workspace,
-- as keyed hashes, so that one shared by several friends or advocates (a ring, a farm)
-- is found whichever advocate they came through. A person is the keyed hash of their
-- mailbox (or their id when no email is known); for mailboxes, `address` is the hash
-- of the exact address, so that another spelling of one mailbox can be told apart.
CREATE TABLE fraud_identities (
    workspace_id TEXT NOT NULL,
    -- `device`, `payment` or `email`.
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    person TEXT NOT NULL,
    -- `advocate` or `friend`.
    role TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    advocate_id TEXT NOT NULL,
    -- The friend's referral, to hold it with a ring found later.
    referral_id TEXT,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, value, person, role, address)
);
