//! `vouch simulate-fraud`: a month of referral traffic, honest and hostile, run through
//! the real engine on a throwaway SQLite database, and how well the default fraud
//! rules told them apart.
//!
//! Honest advocates bring friends from their own networks and devices (a tenth from the
//! same household network), over days, by link or by typed code; a few friends refund.
//! Attacks: self-referrals with a second address from the same device, with the same
//! card, or from the same network and browser; rings of fake accounts on one machine;
//! disposable addresses; bursts of signups; farms on one network range; purchases
//! seconds after the click; buy-then-refund loops; leaked codes; links posted on coupon
//! sites. A referral counts as caught when it is rejected by the fraud rules, held for
//! review, or its rewards were cancelled by a refund inside the hold.

use std::collections::HashMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vouch_app::enrolment::{enroll, EnrolmentInput};
use vouch_app::events::{record_event, EventInput};
use vouch_app::fraud::FraudData;
use vouch_app::fraud::{fingerprint, ContextIn};
use vouch_app::workspaces::create_workspace;
use vouch_domain::attribution::{ReferralStatus, RejectReason};
use vouch_domain::email::Email;
use vouch_domain::event::EventKind;
use vouch_domain::ids::{ClickId, ReferralId};
use vouch_domain::money::{Currency, Money};
use vouch_domain::reward::RewardStatus;
use vouch_domain::Millis;
use vouch_store::{Enrolment, NewClick, Program, ProgramStatus, Store};

const MINUTE: Millis = 60_000;
const HOUR: Millis = 60 * MINUTE;
const DAY: Millis = 24 * HOUR;

const UAS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "hotmail.com",
    "proton.me",
    "aol.com",
    "example-corp.com",
    "uni.example.edu",
];
const DISPOSABLE: &[&str] = &[
    "mailinator.com",
    "yopmail.com",
    "guerrillamail.com",
    "10minutemail.com",
];
const SOCIAL: &[Option<&str>] = &[
    None,
    None,
    Some("https://www.facebook.com/"),
    Some("https://t.co/abc"),
    Some("https://web.whatsapp.com/"),
];

/// Who is behind a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Honest,
    SelfEmail,
    SelfDevice,
    SelfPayment,
    SelfNetworkBrowser,
    Ring,
    Disposable,
    Burst,
    RangeFarm,
    FastPurchase,
    RefundLoop,
    LeakedCode,
    CouponSite,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Honest => "honest",
            Self::SelfEmail => "self-referral, email variant (dots, +tag)",
            Self::SelfDevice => "self-referral, same device",
            Self::SelfPayment => "self-referral, same card",
            Self::SelfNetworkBrowser => "self-referral, same network and browser",
            Self::Ring => "ring of fake accounts on one machine",
            Self::Disposable => "disposable addresses",
            Self::Burst => "burst of signups for one advocate",
            Self::RangeFarm => "farm on one network range",
            Self::FastPurchase => "purchase seconds after the click",
            Self::RefundLoop => "buy-then-refund loop",
            Self::LeakedCode => "leaked code",
            Self::CouponSite => "link on a coupon site",
        }
    }
}

#[derive(Clone, Default)]
struct Person {
    email: String,
    ip: Option<String>,
    ua: Option<String>,
    device: Option<String>,
    card: Option<String>,
}

impl Person {
    fn context(&self) -> ContextIn {
        ContextIn {
            ip_address: self.ip.clone(),
            user_agent: self.ua.clone(),
            device_id: self.device.clone(),
            payment_fingerprint: self.card.clone(),
        }
    }
}

/// One friend's path: who referred them, how, and when.
struct Friend {
    kind: Kind,
    advocate: usize,
    person: Person,
    /// Click time (with the click's referer), or `None` for a typed code.
    click: Option<(Millis, Option<String>)>,
    signup: Option<Millis>,
    purchase: Option<Millis>,
    refund: Option<Millis>,
}

#[derive(Clone, Copy)]
enum Step {
    Click(usize),
    Signup(usize),
    Purchase(usize),
    Refund(usize),
}

struct Gen {
    rng: StdRng,
    start: Millis,
    advocates: Vec<Person>,
    friends: Vec<Friend>,
    next: u64,
}

impl Gen {
    fn id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn ip(&mut self) -> String {
        let a = self.rng.gen_range(11..223);
        format!(
            "{a}.{}.{}.{}",
            self.rng.gen_range(0..255),
            self.rng.gen_range(0..255),
            self.rng.gen_range(1..255)
        )
    }

    fn person(&mut self, domain: Option<&str>) -> Person {
        let n = self.id();
        let d = domain
            .map(str::to_owned)
            .unwrap_or_else(|| DOMAINS[self.rng.gen_range(0..DOMAINS.len())].to_owned());
        Person {
            email: format!("person{n}@{d}"),
            ip: Some(self.ip()),
            ua: Some(self.user_agent()),
            device: Some(format!("dev-{n}")),
            card: Some(format!("card-{n}")),
        }
    }

    /// A user agent: a device and its OS and browser versions, as varied as real ones.
    fn user_agent(&mut self) -> String {
        let base = UAS[self.rng.gen_range(0..UAS.len())];
        format!(
            "{base} v{}.{}.{}",
            self.rng.gen_range(120..132),
            self.rng.gen_range(0..6),
            self.rng.gen_range(0..200)
        )
    }

    fn advocate(&mut self) -> usize {
        let p = self.person(None);
        self.advocates.push(p);
        self.advocates.len() - 1
    }

    fn when(&mut self) -> Millis {
        self.start + self.rng.gen_range(0..28 * DAY)
    }

    /// An ordinary journey from `at`: a click (or a typed code), a signup, usually a
    /// purchase a while later.
    fn journey(&mut self, kind: Kind, advocate: usize, person: Person, at: Millis) -> Friend {
        let by_link = self.rng.gen_bool(0.8);
        let referer = SOCIAL[self.rng.gen_range(0..SOCIAL.len())].map(str::to_owned);
        let signup = at + self.rng.gen_range(2 * MINUTE..6 * HOUR);
        let purchase = self
            .rng
            .gen_bool(0.8)
            .then(|| signup + self.rng.gen_range(10 * MINUTE..5 * DAY));
        Friend {
            kind,
            advocate,
            person,
            click: by_link.then_some((at, referer)),
            signup: Some(signup),
            purchase,
            refund: None,
        }
    }

    fn honest(&mut self, advocates: usize) {
        for _ in 0..advocates {
            let a = self.advocate();
            // Most bring one to three friends; a few bring many, over the month.
            let n = match self.rng.gen_range(0..100) {
                0..=29 => 0,
                30..=84 => self.rng.gen_range(1..4),
                85..=96 => self.rng.gen_range(4..8),
                _ => self.rng.gen_range(8..16),
            };
            // One in ten advocates refers someone at home: their network, another device.
            let mut household = self.rng.gen_bool(0.1);
            for _ in 0..n {
                let mut p = self.person(None);
                if household {
                    p.ip = self.advocates[a].ip.clone();
                    // Now and then the same phone model and version: the same browser.
                    if self.rng.gen_bool(0.05) {
                        p.ua = self.advocates[a].ua.clone();
                    }
                    household = false;
                }
                let at = self.when();
                let mut f = self.journey(Kind::Honest, a, p, at);
                // A few decide at once: the purchase follows the click within seconds.
                if let (Some((click, _)), true) = (&f.click, self.rng.gen_bool(0.005)) {
                    let click = *click;
                    f.signup = None;
                    f.purchase = Some(click + self.rng.gen_range(10_000..40_000));
                }
                if f.purchase.is_some() && self.rng.gen_bool(0.04) {
                    f.refund = f.purchase.map(|t| t + self.rng.gen_range(HOUR..10 * DAY));
                }
                self.friends.push(f);
            }
        }
    }

    /// An advocate with a following: a post brings many friends in two hours.
    fn influencer(&mut self, friends: i64) {
        let a = self.advocate();
        let at = self.when();
        for i in 0..friends {
            let p = self.person(None);
            let f = self.journey(Kind::Honest, a, p, at + i * 5 * MINUTE);
            self.friends.push(f);
        }
    }

    fn attacks(&mut self, per_kind: usize) {
        // The advocate's own Gmail address, written differently.
        for _ in 0..per_kind {
            let n = self.id();
            let mut me = self.person(Some("gmail.com"));
            me.email = format!("sam.lee{n}@gmail.com");
            self.advocates.push(me);
            let a = self.advocates.len() - 1;
            let mut p = self.person(None);
            p.email = format!("samlee{n}+deal@gmail.com");
            let at = self.when();
            let f = self.journey(Kind::SelfEmail, a, p, at);
            self.friends.push(f);
        }
        // Self-referrals: the advocate's second address.
        for kind in [
            Kind::SelfDevice,
            Kind::SelfPayment,
            Kind::SelfNetworkBrowser,
        ] {
            for _ in 0..per_kind {
                let a = self.advocate();
                let me = self.advocates[a].clone();
                let mut p = self.person(None);
                match kind {
                    Kind::SelfDevice => {
                        p.device = me.device;
                        p.ip = me.ip;
                        p.ua = me.ua;
                    }
                    Kind::SelfPayment => p.card = me.card,
                    _ => {
                        p.ip = me.ip;
                        p.ua = me.ua;
                        p.device = None;
                    }
                }
                let at = self.when();
                let mut f = self.journey(kind, a, p, at);
                f.purchase = f.signup.map(|s| s + self.rng.gen_range(MINUTE..HOUR));
                self.friends.push(f);
            }
        }
        // Rings: fake accounts made on the fraudster's machine over an evening.
        for _ in 0..per_kind.div_ceil(6) {
            let a = self.advocate();
            let me = self.advocates[a].clone();
            let at = self.when();
            for i in 0..6 {
                let mut p = self.person(None);
                p.ip = me.ip.clone();
                p.device = Some(format!("emulator-{}", self.id()));
                let mut f = self.journey(Kind::Ring, a, p, at + i * 20 * MINUTE);
                f.purchase = f.signup.map(|s| s + self.rng.gen_range(MINUTE..HOUR));
                self.friends.push(f);
            }
        }
        for _ in 0..per_kind {
            let a = self.advocate();
            let d = DISPOSABLE[self.rng.gen_range(0..DISPOSABLE.len())];
            let p = self.person(Some(d));
            let at = self.when();
            let f = self.journey(Kind::Disposable, a, p, at);
            self.friends.push(f);
        }
        // Bursts: bought accounts, behind a small proxy pool, signing up through one
        // link within an hour.
        for _ in 0..per_kind.div_ceil(10) {
            let a = self.advocate();
            let at = self.when();
            let pool: Vec<String> = (0..2)
                .map(|_| {
                    format!(
                        "{}.{}.{}",
                        self.rng.gen_range(11..223),
                        self.rng.gen_range(0..255),
                        self.rng.gen_range(0..255)
                    )
                })
                .collect();
            for i in 0..10 {
                let mut p = self.person(None);
                p.ip = Some(format!(
                    "{}.{}",
                    pool[i as usize % 2],
                    self.rng.gen_range(1..255)
                ));
                let mut f = self.journey(Kind::Burst, a, p, at + i * 5 * MINUTE);
                f.signup = Some(at + i * 5 * MINUTE + MINUTE);
                self.friends.push(f);
            }
        }
        // Farms: one network range, many advocates, one day.
        for _ in 0..per_kind.div_ceil(15) {
            let base = format!(
                "{}.{}.{}",
                self.rng.gen_range(11..223),
                self.rng.gen_range(0..255),
                self.rng.gen_range(0..255)
            );
            let at = self.when();
            let advocates: Vec<usize> = (0..5).map(|_| self.advocate()).collect();
            for i in 0..15 {
                let mut p = self.person(None);
                p.ip = Some(format!("{base}.{}", 10 + i));
                let a = advocates[i as usize % advocates.len()];
                let f = self.journey(Kind::RangeFarm, a, p, at + i * 30 * MINUTE);
                self.friends.push(f);
            }
        }
        // Scripted checkouts seconds after the click, run from rented servers: a few runs
        // a day from each hosting range.
        for _ in 0..per_kind.div_ceil(5) {
            let range = format!(
                "{}.{}.{}",
                self.rng.gen_range(11..223),
                self.rng.gen_range(0..255),
                self.rng.gen_range(0..255)
            );
            let day = self.when();
            for _ in 0..5 {
                let a = self.advocate();
                let mut p = self.person(None);
                p.ip = Some(format!("{range}.{}", self.rng.gen_range(1..255)));
                let at = day + self.rng.gen_range(0..20 * HOUR);
                let mut f = self.journey(Kind::FastPurchase, a, p, at);
                f.click = Some((at, None));
                f.signup = None;
                f.purchase = Some(at + self.rng.gen_range(2_000..20_000));
                self.friends.push(f);
            }
        }
        // Buy, collect, refund: each purchase is refunded inside the 14-day hold.
        for _ in 0..per_kind.div_ceil(5) {
            let a = self.advocate();
            let at = self.when();
            for i in 0..5 {
                let p = self.person(None);
                let mut f = self.journey(Kind::RefundLoop, a, p, at + i * DAY);
                f.purchase = f.signup.map(|s| s + HOUR);
                f.refund = f.purchase.map(|t| t + 2 * DAY);
                self.friends.push(f);
            }
        }
        // A code posted publicly: forty strangers type it within a day.
        for _ in 0..per_kind.div_ceil(40) {
            let a = self.advocate();
            let at = self.when();
            for i in 0..40 {
                let p = self.person(None);
                let mut f = self.journey(Kind::LeakedCode, a, p, at + i * 30 * MINUTE);
                f.click = None;
                f.purchase = f.signup.map(|s| s + 10 * MINUTE);
                self.friends.push(f);
            }
        }
        for _ in 0..per_kind {
            let a = self.advocate();
            let p = self.person(None);
            let at = self.when();
            let mut f = self.journey(Kind::CouponSite, a, p, at);
            f.click = Some((
                at,
                Some("https://www.retailmenot.com/view/shop.example.com".into()),
            ));
            self.friends.push(f);
        }
    }
}

/// What one kind of referral came to.
#[derive(Default, Clone, Copy)]
struct Tally {
    total: usize,
    flagged: usize,
}

pub struct Report {
    pub text: String,
    pub recall: f64,
    pub false_positive_rate: f64,
}

pub async fn run(seed: u64, honest_advocates: usize, per_kind: usize) -> anyhow::Result<Report> {
    let dir = std::env::temp_dir().join(format!("vouch-fraud-sim-{}", ulid_like()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/vouch.db?mode=rwc", dir.display());
    let result = simulate(&url, seed, honest_advocates, per_kind).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn ulid_like() -> String {
    vouch_domain::ids::JobId::new().to_string()
}

async fn simulate(
    url: &str,
    seed: u64,
    honest_advocates: usize,
    per_kind: usize,
) -> anyhow::Result<Report> {
    let store: Arc<dyn Store> = Arc::new(vouch_store::connect(url).await?);
    store.migrate().await?;
    let ws = create_workspace(store.as_ref(), "Fraud simulation").await?;
    let usd = Currency::parse("currency", "USD")?;
    let clock = vouch_app::clock::Clock::system();
    let now = clock.now();
    let config = vouch_domain::program::ProgramConfig {
        name: "Fraud simulation".into(),
        destination_url: "https://shop.example.com/".into(),
        attribution_window_days: 30,
        hold_days: 14,
        referrer_reward: Some(vouch_domain::rules::RewardRule::fixed(
            vouch_domain::rules::RewardKind::Credit,
            1000,
            usd,
        )),
        referee_reward: Some(vouch_domain::rules::RewardRule::fixed(
            vouch_domain::rules::RewardKind::Credit,
            500,
            usd,
        )),
        ..Default::default()
    }
    .validate()?;
    let program = Program {
        id: vouch_domain::ids::ProgramId::new(),
        workspace_id: ws.workspace_id.clone(),
        slug: format!("fraud-sim-{}", seed),
        status: ProgramStatus::Active,
        config,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store.insert_program(&program).await?;
    let key = store
        .get_workspace(&ws.workspace_id)
        .await?
        .map(|w| w.hash_key)
        .unwrap_or_default();
    let hasher = vouch_app::hashing::IpHasher::new(&key);
    let data = FraudData::shipped();

    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        start: now - 30 * DAY,
        advocates: vec![],
        friends: vec![],
        next: 0,
    };
    g.honest(honest_advocates);
    for _ in 0..honest_advocates / 300 {
        g.influencer(25);
    }
    g.attacks(per_kind);

    // Advocates join first, from their own network and device.
    let mut codes = vec![];
    let mut ids = vec![];
    for a in &g.advocates {
        let (fp, _) = fingerprint(store.as_ref(), &data, &ws.workspace_id, &a.context()).await?;
        let input = EnrolmentInput {
            email: Some(Email::parse("email", &a.email)?),
            name: None,
            external_id: None,
            locale: "en".into(),
            vanity_code: None,
            referred_by: None,
            fingerprint: fp,
        };
        let p = match enroll(store.as_ref(), &program, &input, now).await? {
            Enrolment::Created(p) | Enrolment::Existing(p) => p,
        };
        codes.push(
            vouch_domain::code::ReferralCode::lookup_key(&p.referral_code).unwrap_or_default(),
        );
        ids.push(p);
    }
    // Everything else in the order it happened.
    let mut steps: Vec<(Millis, Step)> = vec![];
    for (i, f) in g.friends.iter().enumerate() {
        if let Some((t, _)) = f.click {
            steps.push((t, Step::Click(i)));
        }
        if let Some(t) = f.signup {
            steps.push((t, Step::Signup(i)));
        }
        if let Some(t) = f.purchase {
            steps.push((t, Step::Purchase(i)));
        }
        if let Some(t) = f.refund {
            steps.push((t, Step::Refund(i)));
        }
    }
    steps.sort_by_key(|(t, s)| {
        (
            *t,
            match s {
                Step::Click(_) => 0,
                Step::Signup(_) => 1,
                Step::Purchase(_) => 2,
                Step::Refund(_) => 3,
            },
        )
    });
    let mut clicks: HashMap<usize, ClickId> = HashMap::new();
    let mut referrals: HashMap<usize, ReferralId> = HashMap::new();
    for (at, step) in steps {
        match step {
            Step::Click(i) => {
                let f = &g.friends[i];
                let id = ClickId::new();
                store
                    .insert_clicks(&[NewClick {
                        id: id.clone(),
                        workspace_id: ws.workspace_id.clone(),
                        program_id: program.id.clone(),
                        participant_id: ids[f.advocate].id.clone(),
                        code: codes[f.advocate].clone(),
                        occurred_at: at,
                        ip_hash: f.person.ip.as_deref().map(|ip| hasher.hash(ip)),
                        user_agent: f.person.ua.clone(),
                        referer: f.click.as_ref().and_then(|c| c.1.clone()),
                    }])
                    .await?;
                clicks.insert(i, id);
            }
            Step::Signup(i) | Step::Purchase(i) | Step::Refund(i) => {
                let f = &g.friends[i];
                let (fp, range) =
                    fingerprint(store.as_ref(), &data, &ws.workspace_id, &f.person.context())
                        .await?;
                let kind = match step {
                    Step::Signup(_) => EventKind::Signup,
                    Step::Purchase(_) => EventKind::Purchase,
                    _ => EventKind::Refund,
                };
                let input = EventInput {
                    kind,
                    email: Some(Email::parse("email", &f.person.email)?),
                    external_id: None,
                    click_id: clicks.get(&i).cloned(),
                    referral_code: (!clicks.contains_key(&i)).then(|| codes[f.advocate].clone()),
                    coupon_code: None,
                    order_id: (kind != EventKind::Signup).then(|| format!("order-{i}")),
                    amount: (kind == EventKind::Purchase).then(|| Money::new(6000, usd)),
                    occurred_at: at,
                    idempotency_key: None,
                    fingerprint: fp,
                    ip_range_hash: range,
                };
                let recorded =
                    record_event(store.as_ref(), &clock, &data, &program, &input).await?;
                let body: serde_json::Value = serde_json::from_str(&recorded.body)?;
                if let Some(id) = body["referral"]["id"].as_str().and_then(ReferralId::parse) {
                    referrals.entry(i).or_insert(id);
                }
            }
        }
    }
    // Tally what happened to each referral.
    let mut tallies: std::collections::BTreeMap<Kind, Tally> = Default::default();
    for (i, f) in g.friends.iter().enumerate() {
        let Some(id) = referrals.get(&i) else {
            continue;
        };
        let Some(r) = store.get_referral(&ws.workspace_id, id).await? else {
            continue;
        };
        let by_rules = r.review.is_some()
            || matches!(
                r.reason,
                Some(RejectReason::Fraud | RejectReason::SelfReferral)
            );
        let refunded_in_hold = {
            let mut tx = store.begin().await?;
            let rewards = tx.rewards_for_referral(id).await?;
            drop(tx);
            !rewards.is_empty() && rewards.iter().all(|w| w.status == RewardStatus::Cancelled)
        };
        // An attack whose purchase was refunded earned nothing: reversed or cancelled.
        let taken_back = refunded_in_hold || r.status == ReferralStatus::Reversed;
        let flagged = by_rules || (f.kind != Kind::Honest && taken_back);

        let t = tallies.entry(f.kind).or_default();
        t.total += 1;
        t.flagged += usize::from(flagged);
    }
    let honest = tallies.get(&Kind::Honest).copied().unwrap_or_default();
    let attacks = tallies.iter().filter(|(k, _)| **k != Kind::Honest).fold(
        Tally::default(),
        |acc, (_, t)| Tally {
            total: acc.total + t.total,
            flagged: acc.flagged + t.flagged,
        },
    );
    let recall = attacks.flagged as f64 / attacks.total.max(1) as f64;
    let fpr = honest.flagged as f64 / honest.total.max(1) as f64;
    let precision = attacks.flagged as f64 / (attacks.flagged + honest.flagged).max(1) as f64;
    let mut text = format!(
        "Fraud simulation (seed {seed}): {} honest referrals from {honest_advocates} honest \
         advocates, {} attack referrals.\n\n| Referrals | Count | Flagged | Rate |\n|---|---:|---:|---:|\n",
        honest.total, attacks.total
    );
    for (k, t) in &tallies {
        text.push_str(&format!(
            "| {} | {} | {} | {:.1}% |\n",
            k.name(),
            t.total,
            t.flagged,
            100.0 * t.flagged as f64 / t.total.max(1) as f64
        ));
    }
    text.push_str(&format!(
        "\n**Recall {:.1}%** (attacks caught), **false positives {:.2}%** of honest \
         referrals, precision {:.1}%.\n",
        100.0 * recall,
        100.0 * fpr,
        100.0 * precision
    ));
    Ok(Report {
        text,
        recall,
        false_positive_rate: fpr,
    })
}
