//! The simulated month's attacks: each kind of fraud as the people and machines behind
//! it would make it.

use rand::Rng;

use super::traffic::*;

impl Gen {
    pub(super) fn attacks(&mut self, per_kind: usize) {
        // The advocate's own address, spelled differently: dots and tags at Gmail, tags
        // elsewhere, equivalent domains, Cyrillic and full-width look-alikes.
        for i in 0..per_kind {
            let n = self.id();
            let (mine, alias) = match i % 5 {
                0 => (
                    format!("sam.lee{n}@gmail.com"),
                    format!("samlee{n}+deal@googlemail.com"),
                ),
                1 => (
                    format!("sam{n}@outlook.de"),
                    format!("sam{n}+shop@outlook.de"),
                ),
                2 => (format!("kim{n}@icloud.com"), format!("kim{n}@me.com")),
                3 => (
                    format!("maria{n}@gmail.com"),
                    format!("m\u{0430}ria{n}@gmail.com"),
                ),
                _ => (
                    format!("ivan{n}@yandex.ru"),
                    format!("\u{ff49}van{n}@ya.ru"),
                ),
            };
            let mut me = self.person(None);
            me.email = mine;
            self.advocates.push(me);
            let a = self.advocates.len() - 1;
            let mut p = self.person(None);
            p.email = alias;
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
                        // People have a card or two: half pay with their usual one.
                        if self.rng.gen_bool(0.5) {
                            p.card = me.card;
                        }
                    }
                }
                let at = self.when();
                let mut f = self.journey(kind, a, p, at);
                f.purchase = f.signup.map(|s| s + self.rng.gen_range(MINUTE..HOUR));
                self.friends.push(f);
            }
        }
        // Rings: fake friends of one or two colluding advocates, each with their own
        // address and network (proxies), all paying with one card.
        for _ in 0..per_kind.div_ceil(5) {
            let colluding: Vec<usize> = (0..self.rng.gen_range(1..3))
                .map(|_| self.advocate())
                .collect();
            let card = Some(format!("ring-card-{}", self.id()));
            let at = self.when();
            for i in 0..5 {
                let mut p = self.person(None);
                p.card = card.clone();
                let a = colluding[i % colluding.len()];
                let mut f = self.journey(Kind::Ring, a, p, at + i as i64 * 3 * HOUR);
                f.purchase = f.signup.map(|s| s + self.rng.gen_range(MINUTE..HOUR));
                self.friends.push(f);
            }
        }
        // A device farm: fake advocate accounts with two friends each, the friends on a
        // few phones behind a few proxies.
        for _ in 0..per_kind.div_ceil(20) {
            let phones: Vec<String> = (0..3)
                .map(|_| format!("farm-phone-{}", self.id()))
                .collect();
            let at = self.when();
            for i in 0..10 {
                let a = self.advocate();
                for j in 0..2 {
                    let mut p = self.person(None);
                    p.device = Some(phones[(i * 2 + j) % phones.len()].clone());
                    let f = self.journey(
                        Kind::DeviceFarm,
                        a,
                        p,
                        at + (i * 2 + j) as i64 * 40 * MINUTE,
                    );
                    self.friends.push(f);
                }
            }
        }
        // Disposable addresses, including providers a short list misses.
        for _ in 0..per_kind {
            let a = self.advocate();
            let d = DISPOSABLE[self.rng.gen_range(0..DISPOSABLE.len())];
            let p = self.person(Some(d));
            let at = self.when();
            let f = self.journey(Kind::Disposable, a, p, at);
            self.friends.push(f);
        }
        // Bursts: accounts made by one person through one link within an hour, behind a
        // small proxy pool, on the two or three phones they have, paying with a couple
        // of cards. (With a new device and card per account, behind proxies, a burst is
        // what an office's chat channel looks like, and it is not caught.)
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
                p.device = Some(format!("burst-phone-{}-{}", a, i % 3));
                p.card = Some(format!("burst-card-{}-{}", a, i % 2));
                let mut f = self.journey(Kind::Burst, a, p, at + i * 5 * MINUTE);
                f.signup = Some(at + i * 5 * MINUTE + MINUTE);
                self.friends.push(f);
            }
        }
        // (A "farm" of strangers on one network range with their own devices and cards
        // is what a campus or an office looks like: it is not generated as fraud. Farms
        // show by the devices and cards they reuse, above.)
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
                if self.rng.gen_bool(0.5) {
                    p.ua = Some(HEADLESS.into());
                }
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
        // Buy, let the hold pass, spend the credit, return the order within 30 days.
        for _ in 0..per_kind.div_ceil(5) {
            let a = self.advocate();
            let at = self.start + self.rng.gen_range(0..6 * DAY);
            for i in 0..5 {
                let p = self.person(None);
                let mut f = self.journey(Kind::LateRefund, a, p, at + i * 2 * DAY);
                f.purchase = f.signup.map(|s| s + HOUR);
                f.refund = f
                    .purchase
                    .map(|t| t + self.rng.gen_range(15 * DAY..20 * DAY));
                self.friends.push(f);
            }
        }
        // A code posted on a deal forum: a few strangers a day type it, day after day,
        // under any daily limit.
        for _ in 0..per_kind.div_ceil(40) {
            let a = self.advocate();
            let at = self.when();
            for i in 0..40 {
                let p = self.person(None);
                let mut f = self.journey(Kind::LeakedCode, a, p, at + i * 3 * HOUR);
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
