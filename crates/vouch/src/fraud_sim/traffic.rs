//! The simulated month: honest advocates and their friends, and each kind of attack, as people with networks, devices and cards.

use rand::rngs::StdRng;
use rand::Rng;
use vouch_app::fraud::ContextIn;
use vouch_domain::Millis;

pub(super) const MINUTE: Millis = 60_000;
pub(super) const HOUR: Millis = 60 * MINUTE;
pub(super) const DAY: Millis = 24 * HOUR;

pub(super) const UAS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
];
pub(super) const DOMAINS: &[&str] = &[
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
pub(super) const DISPOSABLE: &[&str] = &[
    "mailinator.com",
    "yopmail.com",
    "guerrillamail.com",
    "10minutemail.com",
];
pub(super) const SOCIAL: &[Option<&str>] = &[
    None,
    None,
    Some("https://www.facebook.com/"),
    Some("https://t.co/abc"),
    Some("https://web.whatsapp.com/"),
];

/// Who is behind a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Kind {
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
    pub(super) fn name(self) -> &'static str {
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
pub(super) struct Person {
    pub(super) email: String,
    pub(super) ip: Option<String>,
    pub(super) ua: Option<String>,
    pub(super) device: Option<String>,
    pub(super) card: Option<String>,
}

impl Person {
    pub(super) fn context(&self) -> ContextIn {
        ContextIn {
            ip_address: self.ip.clone(),
            user_agent: self.ua.clone(),
            device_id: self.device.clone(),
            payment_fingerprint: self.card.clone(),
        }
    }
}

/// One friend's path: who referred them, how, and when.
pub(super) struct Friend {
    pub(super) kind: Kind,
    pub(super) advocate: usize,
    pub(super) person: Person,
    /// Click time (with the click's referer), or `None` for a typed code.
    pub(super) click: Option<(Millis, Option<String>)>,
    pub(super) signup: Option<Millis>,
    pub(super) purchase: Option<Millis>,
    pub(super) refund: Option<Millis>,
}

#[derive(Clone, Copy)]
pub(super) enum Step {
    Click(usize),
    Signup(usize),
    Purchase(usize),
    Refund(usize),
}

pub(super) struct Gen {
    pub(super) rng: StdRng,
    pub(super) start: Millis,
    pub(super) advocates: Vec<Person>,
    pub(super) friends: Vec<Friend>,
    pub(super) next: u64,
}

impl Gen {
    pub(super) fn id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    pub(super) fn ip(&mut self) -> String {
        let a = self.rng.gen_range(11..223);
        format!(
            "{a}.{}.{}.{}",
            self.rng.gen_range(0..255),
            self.rng.gen_range(0..255),
            self.rng.gen_range(1..255)
        )
    }

    pub(super) fn person(&mut self, domain: Option<&str>) -> Person {
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
    pub(super) fn user_agent(&mut self) -> String {
        let base = UAS[self.rng.gen_range(0..UAS.len())];
        format!(
            "{base} v{}.{}.{}",
            self.rng.gen_range(120..132),
            self.rng.gen_range(0..6),
            self.rng.gen_range(0..200)
        )
    }

    pub(super) fn advocate(&mut self) -> usize {
        let p = self.person(None);
        self.advocates.push(p);
        self.advocates.len() - 1
    }

    pub(super) fn when(&mut self) -> Millis {
        self.start + self.rng.gen_range(0..28 * DAY)
    }

    /// An ordinary journey from `at`: a click (or a typed code), a signup, usually a
    /// purchase a while later.
    pub(super) fn journey(
        &mut self,
        kind: Kind,
        advocate: usize,
        person: Person,
        at: Millis,
    ) -> Friend {
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

    pub(super) fn honest(&mut self, advocates: usize) {
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
    pub(super) fn influencer(&mut self, friends: i64) {
        let a = self.advocate();
        let at = self.when();
        for i in 0..friends {
            let p = self.person(None);
            let f = self.journey(Kind::Honest, a, p, at + i * 5 * MINUTE);
            self.friends.push(f);
        }
    }

    pub(super) fn attacks(&mut self, per_kind: usize) {
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
