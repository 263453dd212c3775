//! Links and the click log: what `/r/{code}` reads and writes.

use vouch_domain::ids::*;
use vouch_domain::program::AttributionModel;
use vouch_domain::Millis;

/// Everything `/r/{code}` needs, in one read (and cached by the server).
#[derive(Debug, Clone)]
pub struct LinkTarget {
    pub code: String,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    pub destination_url: String,
    pub allowed_domains: Vec<String>,
    pub window_days: i64,
    pub model: AttributionModel,
    /// Program active and participant not blocked.
    pub active: bool,
    pub hash_key: String,
    /// The link leads to the friend page instead of straight to the shop.
    pub friend_page: bool,
    /// Repeat clicks within this many hours are not unique.
    pub unique_window_hours: i64,
}

#[derive(Debug, Clone)]
pub struct NewClick {
    pub id: ClickId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    pub code: String,
    pub occurred_at: Millis,
    pub ip_hash: Option<String>,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    /// Where it came from (`qr`, `whatsapp`, a `utm_source`).
    pub source: Option<String>,
    /// The visitor's first click on this link within the program's window.
    pub unique: bool,
}

/// A visit to a link that is not a click (a preview, a crawler, a prefetch), counted.
#[derive(Debug, Clone)]
pub struct LinkVisit {
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    /// `preview`, `bot` or `prefetch`.
    pub kind: &'static str,
    /// The app a preview was built for; empty for the others.
    pub app: &'static str,
    pub at: Millis,
}

#[derive(Debug, Clone)]
pub struct Click {
    pub id: ClickId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    pub occurred_at: Millis,
    pub ip_hash: Option<String>,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
}
