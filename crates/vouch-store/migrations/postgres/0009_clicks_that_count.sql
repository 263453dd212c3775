-- Clicks that count: where each click came from (a QR scan, a share button,
-- utm_source) and whether it was the visitor's first on the link within the program's
-- window. Link previews, crawlers and prefetches are not clicks: they are counted per
-- advocate, kind, app and day.
ALTER TABLE clicks ADD COLUMN source TEXT;
ALTER TABLE clicks ADD COLUMN is_unique BIGINT NOT NULL DEFAULT 1;

CREATE TABLE link_visits (
    participant_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    -- preview, bot or prefetch
    kind TEXT NOT NULL,
    -- the app that built a preview (whatsapp, slack, ...); '' for the others
    app TEXT NOT NULL,
    -- the UTC day, as the millisecond it starts
    day BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    PRIMARY KEY (participant_id, kind, app, day)
);
