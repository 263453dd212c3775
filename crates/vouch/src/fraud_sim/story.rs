//! Referral traffic as stories (an advocate, a friend, their events, and whether it
//! was fraud), the format both evaluations share: `vouch simulate-fraud` writes it
//! from its own generator, `vouch evaluate-fraud` reads it from a file written without
//! the rules (`eval/fraud/`). A story is replayed through the real engine with the
//! clock at each event's time, so holds end and approval jobs run as they would.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vouch_app::enrolment::{enroll, EnrolmentInput};
use vouch_app::events::{record_event, EventInput};
use vouch_app::fraud::{fingerprint, ContextIn, FraudData};
use vouch_domain::attribution::RejectReason;
use vouch_domain::email::Email;
use vouch_domain::event::EventKind;
use vouch_domain::ids::{ClickId, ReferralId};
use vouch_domain::money::{Currency, Money};
use vouch_domain::reward::RewardStatus;
use vouch_domain::Millis;
use vouch_store::{Enrolment, NewClick, Program, ProgramStatus, Store};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Traffic {
    #[serde(default)]
    pub generator: String,
    pub advocates: Vec<Advocate>,
    pub referrals: Vec<Story>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Advocate {
    pub id: String,
    pub email: String,
    /// Seconds from the start of the period.
    pub joined_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device_id: Option<String>,
    pub payment_fingerprint: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Story {
    pub id: String,
    pub advocate: String,
    /// `honest` or `fraud`.
    pub label: String,
    pub case: String,
    pub email: Option<String>,
    pub events: Vec<Step>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Step {
    /// `click`, `signup`, `purchase` or `refund`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Seconds from the start of the period.
    pub at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device_id: Option<String>,
    pub payment_fingerprint: Option<String>,
    pub referer: Option<String>,
    pub amount: Option<i64>,
    pub order_id: Option<String>,
}

impl Step {
    fn context(&self) -> ContextIn {
        ContextIn {
            ip_address: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            device_id: self.device_id.clone(),
            payment_fingerprint: self.payment_fingerprint.clone(),
        }
    }
}

/// What one case came to.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub total: usize,
    pub flagged: usize,
}

pub struct Outcome {
    /// Per (label, case).
    pub cases: BTreeMap<(String, String), Tally>,
    /// Stories that made no referral (a click and nothing after it): nothing to judge
    /// and nothing earned, so left out of the rates. Per label.
    pub unattributed: BTreeMap<String, usize>,
    /// Events the engine refused, by the reason it gave.
    pub refused: BTreeMap<String, usize>,
    /// How often each signal was on a flagged referral, per label.
    pub signals: BTreeMap<(String, &'static str), usize>,
}

impl Outcome {
    fn sum(&self, label: &str) -> Tally {
        self.cases
            .iter()
            .filter(|((l, _), _)| l == label)
            .fold(Tally::default(), |a, (_, t)| Tally {
                total: a.total + t.total,
                flagged: a.flagged + t.flagged,
            })
    }

    pub fn recall(&self) -> f64 {
        let t = self.sum("fraud");
        t.flagged as f64 / t.total.max(1) as f64
    }

    pub fn false_positive_rate(&self) -> f64 {
        let t = self.sum("honest");
        t.flagged as f64 / t.total.max(1) as f64
    }

    pub fn precision(&self) -> f64 {
        let (f, h) = (self.sum("fraud"), self.sum("honest"));
        f.flagged as f64 / (f.flagged + h.flagged).max(1) as f64
    }

    /// A Markdown table per case, then the totals.
    pub fn report(&self, title: &str) -> String {
        let (f, h) = (self.sum("fraud"), self.sum("honest"));
        let mut text = format!(
            "{title}: {} honest and {} fraudulent referrals.\n\n\
             | Label | Case | Referrals | Flagged | Rate |\n|---|---|---:|---:|---:|\n",
            h.total, f.total
        );
        for ((label, case), t) in &self.cases {
            text.push_str(&format!(
                "| {label} | {case} | {} | {} | {:.1}% |\n",
                t.total,
                t.flagged,
                100.0 * t.flagged as f64 / t.total.max(1) as f64
            ));
        }
        text.push_str("\nSignals on flagged referrals: ");
        let parts: Vec<String> = self
            .signals
            .iter()
            .map(|((label, code), n)| format!("{label} {code} {n}"))
            .collect();
        text.push_str(&parts.join(", "));
        text.push_str(&format!(
            "\n\n**Recall {:.1}%** (fraud caught), **false positives {:.2}%** of honest \
             referrals, precision {:.1}%. Stories that made no referral (a click and \
             nothing after it, left out): {:?}.\n",
            100.0 * self.recall(),
            100.0 * self.false_positive_rate(),
            100.0 * self.precision(),
            self.unattributed
        ));
        if !self.refused.is_empty() {
            text.push_str("\nEvents refused: ");
            let parts: Vec<String> = self
                .refused
                .iter()
                .map(|(why, n)| format!("{n} × {why}"))
                .collect();
            text.push_str(&parts.join("; "));
            text.push('\n');
        }
        text
    }
}

/// Replays `traffic` on a throwaway SQLite database.
pub async fn replay_in_temp(traffic: &Traffic) -> anyhow::Result<Outcome> {
    let dir = std::env::temp_dir().join(format!("vouch-fraud-{}", vouch_domain::ids::JobId::new()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/vouch.db?mode=rwc", dir.display());
    let result = replay(&url, traffic).await;
    // VOUCH_KEEP_REPLAY=1 keeps the database to look into (its path goes to stderr).
    if std::env::var_os("VOUCH_KEEP_REPLAY").is_some() {
        eprintln!("replay database: {}/vouch.db", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

enum Act<'a> {
    Join(usize),
    Event(usize, &'a Step),
}

/// Replays every story through the engine in time order with the default fraud
/// settings, then counts which referrals the rules held or rejected. A fraudulent
/// referral whose rewards were all cancelled inside the hold (a refund) earned nothing
/// and counts as caught; one reversed after its rewards were approved does not.
pub async fn replay(url: &str, traffic: &Traffic) -> anyhow::Result<Outcome> {
    let store: Arc<dyn Store> = Arc::new(vouch_store::connect(url).await?);
    store.migrate().await?;
    let ws = vouch_app::workspaces::create_workspace(store.as_ref(), "Fraud evaluation").await?;
    let ws = ws.workspace_id;
    let usd = Currency::parse("currency", "USD")?;
    let clock = vouch_app::clock::Clock::system();
    // The period ends a day before now.
    let last = traffic
        .referrals
        .iter()
        .flat_map(|s| s.events.iter().map(|e| e.at))
        .chain(traffic.advocates.iter().map(|a| a.joined_at))
        .max()
        .unwrap_or(0);
    let base = clock.now() - 86_400_000 - last * 1000;
    clock.set_to(base);
    let credit = |amount| {
        vouch_domain::rules::RewardRule::fixed(vouch_domain::rules::RewardKind::Credit, amount, usd)
    };
    let config = vouch_domain::program::ProgramConfig {
        name: "Fraud evaluation".into(),
        destination_url: "https://shop.example.com/".into(),
        attribution_window_days: 30,
        hold_days: 14,
        referrer_reward: Some(credit(1000)),
        referee_reward: Some(credit(500)),
        ..Default::default()
    }
    .validate()?;
    let program = Program {
        id: vouch_domain::ids::ProgramId::new(),
        workspace_id: ws.clone(),
        slug: "fraud-evaluation".into(),
        status: ProgramStatus::Active,
        config,
        version: 1,
        created_at: base,
        updated_at: base,
    };
    store.insert_program(&program).await?;
    let data = FraudData::shipped();
    let advocates: HashMap<&str, usize> = traffic
        .advocates
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    let mut acts: Vec<(i64, u8, Act)> = traffic
        .advocates
        .iter()
        .enumerate()
        .map(|(i, a)| (a.joined_at, 0, Act::Join(i)))
        .collect();
    for (i, s) in traffic.referrals.iter().enumerate() {
        for e in &s.events {
            acts.push((e.at, 1, Act::Event(i, e)));
        }
    }
    acts.sort_by_key(|(at, order, _)| (*at, *order));
    let mut enrolled: Vec<Option<(vouch_domain::ids::ParticipantId, String)>> =
        vec![None; traffic.advocates.len()];
    let mut clicks: HashMap<usize, (ClickId, Millis)> = HashMap::new();
    let mut referrals: HashMap<usize, ReferralId> = HashMap::new();
    let mut next_jobs = base;
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for (at, _, act) in acts {
        let now = base + at * 1000;
        clock.set_to(now);
        if now >= next_jobs {
            while vouch_app::jobs::run_due_jobs(store.as_ref(), now).await? > 0 {}
            next_jobs = now + 3_600_000;
        }
        match act {
            Act::Join(i) => {
                let a = &traffic.advocates[i];
                let ctx = ContextIn {
                    ip_address: a.ip.clone(),
                    user_agent: a.user_agent.clone(),
                    device_id: a.device_id.clone(),
                    payment_fingerprint: a.payment_fingerprint.clone(),
                };
                let sighting = fingerprint(store.as_ref(), &data, &ws, &ctx).await?;
                let input = EnrolmentInput {
                    email: Email::parse("email", &a.email).ok(),
                    name: None,
                    external_id: Some(a.id.clone()),
                    locale: "en".into(),
                    vanity_code: None,
                    referred_by: None,
                    fingerprint: sighting.fingerprint,
                    hasher: sighting.hasher,
                    welcome_email: true,
                };
                let p = match enroll(store.as_ref(), &program, &input, now).await? {
                    Enrolment::Created(p) | Enrolment::Existing(p) => p,
                };
                let code = vouch_domain::code::ReferralCode::lookup_key(&p.referral_code)
                    .unwrap_or_default();
                enrolled[i] = Some((p.id, code));
            }
            Act::Event(i, e) => {
                let s = &traffic.referrals[i];
                let Some(Some((advocate, code))) =
                    advocates.get(s.advocate.as_str()).map(|&a| &enrolled[a])
                else {
                    continue;
                };
                let sighting = match fingerprint(store.as_ref(), &data, &ws, &e.context()).await {
                    Ok(s) => s,
                    Err(err) => {
                        *refused.entry(err.to_string()).or_default() += 1;
                        continue;
                    }
                };
                let kind = match e.kind.as_str() {
                    "click" => {
                        let id = ClickId::new();
                        store
                            .insert_clicks(&[NewClick {
                                id: id.clone(),
                                workspace_id: ws.clone(),
                                program_id: program.id.clone(),
                                participant_id: advocate.clone(),
                                code: code.clone(),
                                occurred_at: now,
                                ip_hash: sighting.fingerprint.ip_hash.clone(),
                                // What the redirect keeps: a keyed hash of the
                                // browser, the referer only as a coupon site.
                                user_agent: sighting.fingerprint.ua_hash.clone(),
                                referer: e
                                    .referer
                                    .as_deref()
                                    .and_then(|r| vouch_app::fraud::coupon_site_of(&data, r)),
                                source: None,
                                unique: true,
                            }])
                            .await?;
                        clicks.insert(i, (id, now));
                        continue;
                    }
                    "signup" => EventKind::Signup,
                    "purchase" => EventKind::Purchase,
                    "refund" => EventKind::Refund,
                    _ => continue,
                };
                let clicked = clicks.get(&i).map(|(id, _)| id.clone());
                let input = EventInput {
                    kind,
                    event_name: None,
                    refund_id: None,
                    email: s
                        .email
                        .as_deref()
                        .and_then(|m| Email::parse("email", m).ok()),
                    external_id: Some(format!("friend-{}", s.id)),
                    referral_code: clicked.is_none().then(|| code.clone()),
                    click_id: clicked,
                    coupon_code: None,
                    order_id: (kind != EventKind::Signup).then(|| {
                        e.order_id
                            .clone()
                            .unwrap_or_else(|| format!("order-{}", s.id))
                    }),
                    amount: match kind {
                        EventKind::Purchase => Some(Money::new(e.amount.unwrap_or(6000), usd)),
                        EventKind::Refund => e.amount.map(|a| Money::new(a, usd)),
                        _ => None,
                    },
                    occurred_at: now,
                    idempotency_key: None,
                    fingerprint: sighting.fingerprint,
                    ip_range_hash: sighting.ip_range_hash,
                    hasher: sighting.hasher,
                };
                let recorded =
                    match record_event(store.as_ref(), &clock, &data, &program, &input).await {
                        Ok(r) => r,
                        Err(err) => {
                            *refused.entry(err.to_string()).or_default() += 1;
                            continue;
                        }
                    };
                let body: serde_json::Value = serde_json::from_str(&recorded.body)?;
                if let Some(id) = body["referral"]["id"].as_str().and_then(ReferralId::parse) {
                    referrals.entry(i).or_insert(id);
                }
            }
        }
    }
    let mut outcome = Outcome {
        cases: BTreeMap::new(),
        unattributed: BTreeMap::new(),
        signals: BTreeMap::new(),
        refused: std::mem::take(&mut refused),
    };
    for (i, s) in traffic.referrals.iter().enumerate() {
        let flagged = match referrals.get(&i) {
            Some(id) => match store.get_referral(&ws, id).await? {
                Some(r) => {
                    let by_rules = r.review.is_some()
                        || matches!(
                            r.reason,
                            Some(RejectReason::Fraud | RejectReason::SelfReferral)
                        );
                    let rewards = {
                        let mut tx = store.begin().await?;
                        tx.rewards_for_referral(id).await?
                    };
                    let nothing_paid = !rewards.is_empty()
                        && rewards.iter().all(|w| w.status == RewardStatus::Cancelled);
                    if by_rules {
                        for sig in &r.signals {
                            *outcome
                                .signals
                                .entry((s.label.clone(), sig.code.as_str()))
                                .or_default() += 1;
                        }
                    }
                    by_rules || (s.label != "honest" && nothing_paid)
                }
                None => false,
            },
            None => {
                *outcome.unattributed.entry(s.label.clone()).or_default() += 1;
                continue;
            }
        };
        let t = outcome
            .cases
            .entry((s.label.clone(), s.case.clone()))
            .or_default();
        t.total += 1;
        t.flagged += usize::from(flagged);
    }
    Ok(outcome)
}
