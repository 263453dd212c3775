//! The simulated month: honest advocates and their friends, and each kind of attack, as people with networks, devices and cards.

use rand::rngs::StdRng;
use rand::Rng;
use vouch_domain::Millis;

pub(super) const MINUTE: Millis = 60_000;
pub(super) const HOUR: Millis = 60 * MINUTE;
pub(super) const DAY: Millis = 24 * HOUR;

/// Real browser strings, as concentrated as real traffic is.
pub(super) const UAS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
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
/// The famous few and providers only a maintained list knows.
pub(super) const DISPOSABLE: &[&str] = &[
    "mailinator.com",
    "yopmail.com",
    "guerrillamail.com",
    "10minutemail.com",
    "0-180.com",
    "0-30-24.com",
];
pub(super) const HEADLESS: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";
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
    Household,
    Office,
    Viral,
    Carrier,
    SelfEmail,
    SelfDevice,
    SelfPayment,
    SelfNetworkBrowser,
    Ring,
    DeviceFarm,
    LateRefund,
    Disposable,
    Burst,
    FastPurchase,
    RefundLoop,
    LeakedCode,
    CouponSite,
}

impl Kind {
    pub(super) fn honest(self) -> bool {
        matches!(
            self,
            Self::Honest | Self::Household | Self::Office | Self::Viral | Self::Carrier
        )
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Honest => "ordinary friends",
            Self::Household => "household: advocate's Wi-Fi, often the same phone model",
            Self::Office => "office: one NAT, the corporate browser",
            Self::Viral => "viral post: many friends in an hour, some buy at once",
            Self::Carrier => "mobile carrier or VPN exit shared by strangers",
            Self::SelfEmail => "self-referral, email alias (tags, dots, domains, look-alikes)",
            Self::SelfDevice => "self-referral, same device",
            Self::SelfPayment => "self-referral, same card",
            Self::SelfNetworkBrowser => "self-referral, same network and browser, no device id",
            Self::Ring => "ring: fake friends paying with one card",
            Self::DeviceFarm => "device farm: two friends per fake advocate account",
            Self::LateRefund => "refunds after the hold",
            Self::Disposable => "disposable addresses",
            Self::Burst => "burst of signups for one advocate",
            Self::FastPurchase => "scripted checkouts seconds after the click",
            Self::RefundLoop => "buy-then-refund loop",
            Self::LeakedCode => "leaked code, under the daily limit",
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

    /// A user agent as real traffic has them: a handful of strings cover most
    /// people (every iPhone on one iOS version sends the same one).
    pub(super) fn user_agent(&mut self) -> String {
        UAS[self.rng.gen_range(0..UAS.len())].to_owned()
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
        // Mobile carriers and VPN exits: a few public addresses shared by strangers.
        let shared: Vec<String> = (0..6).map(|_| self.ip()).collect();
        for _ in 0..advocates {
            let a = self.advocate();
            // Most bring one to three friends; a few bring many, over the month.
            let n = match self.rng.gen_range(0..100) {
                0..=29 => 0,
                30..=84 => self.rng.gen_range(1..4),
                85..=96 => self.rng.gen_range(4..8),
                _ => self.rng.gen_range(8..16),
            };
            // One in six advocates refers people at home: their Wi-Fi, often the same
            // phone model, their own device and card.
            let household = if self.rng.gen_bool(0.17) {
                self.rng.gen_range(1..4)
            } else {
                0
            };
            for i in 0..n {
                let mut p = self.person(None);
                let mut kind = Kind::Honest;
                if i < household {
                    kind = Kind::Household;
                    p.ip = self.advocates[a].ip.clone();
                    if self.rng.gen_bool(0.5) {
                        p.ua = self.advocates[a].ua.clone();
                    }
                } else if self.rng.gen_bool(0.1) {
                    kind = Kind::Carrier;
                    p.ip = Some(shared[self.rng.gen_range(0..shared.len())].clone());
                }
                // A third of shops send no device id; some no card fingerprint.
                if self.rng.gen_bool(0.3) {
                    p.device = None;
                }
                let at = self.when();
                let mut f = self.journey(kind, a, p, at);
                // A few decide at once: the purchase follows the click within seconds.
                if let (Some((click, _)), true) = (&f.click, self.rng.gen_bool(0.01)) {
                    let click = *click;
                    f.signup = None;
                    f.purchase = Some(click + self.rng.gen_range(10_000..40_000));
                }
                // Ordinary returns, some after the hold.
                if f.purchase.is_some() && self.rng.gen_bool(0.06) {
                    f.refund = f.purchase.map(|t| t + self.rng.gen_range(HOUR..25 * DAY));
                }
                self.friends.push(f);
            }
        }
        // Offices: colleagues behind one NAT with the corporate browser.
        for _ in 0..advocates / 60 {
            let a = self.advocate();
            let me = self.advocates[a].clone();
            let at = self.when();
            for i in 0..self.rng.gen_range(3..7) {
                let mut p = self.person(None);
                p.ip = me.ip.clone();
                p.ua = me.ua.clone();
                let later = i * self.rng.gen_range(MINUTE..DAY);
                let f = self.journey(Kind::Office, a, p, at + later);
                self.friends.push(f);
            }
        }
    }

    /// An advocate with a following: a post brings many friends in an hour or two,
    /// from everywhere; a few buy within seconds (they wanted it anyway).
    pub(super) fn influencer(&mut self, friends: i64) {
        let a = self.advocate();
        let at = self.when();
        for i in 0..friends {
            let p = self.person(None);
            let click = at + i * self.rng.gen_range(MINUTE..3 * MINUTE);
            let mut f = self.journey(Kind::Viral, a, p, click);
            if self.rng.gen_bool(0.08) {
                f.signup = None;
                f.purchase = Some(click + self.rng.gen_range(8_000..40_000));
            }
            self.friends.push(f);
        }
    }
}
