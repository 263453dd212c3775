//! `vouch demo --scale medium|large`: a year of history for the demo program, written
//! straight into the tables (the engine would take hours for ten million clicks), for
//! analytics benchmarks. Advocates' activity is skewed as in real programs: a few bring
//! most clicks; clicks grow over the year; about 5% of clicks become a referral, most
//! of those sign up, about half buy, some buy again, one in twenty orders is refunded.
//! Rewards are written as the demo program's rules would make them; the ledger is not
//! (balances of these advocates stay empty).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vouch_domain::ids::WorkspaceId;
use vouch_domain::DAY_MS;
use vouch_store::bulk::Cell::{self, Int, Null, NullInt, Text};
use vouch_store::{ListQuery, Program, Store};

#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub advocates: usize,
    pub clicks: usize,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Option<Self>> {
        match s {
            "small" => Some(None),
            "medium" => Some(Some(Self {
                advocates: 10_000,
                clicks: 1_000_000,
            })),
            "large" => Some(Some(Self {
                advocates: 100_000,
                clicks: 10_000_000,
            })),
            _ => None,
        }
    }
}

/// Slices of the year, written one at a time (bounded memory, time-ordered ids).
const SLICES: usize = 365;
const SOURCES: [Option<&str>; 8] = [
    Some("whatsapp"),
    Some("whatsapp"),
    Some("facebook"),
    Some("x"),
    Some("email"),
    Some("qr"),
    Some("telegram"),
    None,
];

fn id(prefix: &str, at: i64, rng: &mut StdRng) -> String {
    let u = ulid::Ulid::from_parts(u64::try_from(at).unwrap_or(0), rng.gen::<u128>());
    format!("{prefix}{}", u.to_string().to_ascii_lowercase())
}

/// Counts of what was written.
#[derive(Debug, Default)]
pub struct Grown {
    pub clicks: usize,
    pub referrals: usize,
    pub events: usize,
    pub rewards: usize,
}

pub async fn grow(store: &dyn Store, program: &Program, scale: Scale) -> anyhow::Result<Grown> {
    let mut rng = StdRng::seed_from_u64(7);
    // Its days are Riyadh's (UTC+3), as for a shop there: reports fold into them.
    let mut program = program.clone();
    program.config.time_zone = Some("Asia/Riyadh".into());
    store.update_program(&program).await?;
    let program = &program;
    let (ws, pid) = (program.workspace_id.as_str(), program.id.as_str());
    let now = vouch_app::clock::Clock::system().now();
    let start = now - 365 * DAY_MS;
    // A reward the engine made for the demo: its rule and inputs are what the
    // program's rules store.
    let template = store
        .list_rewards(
            &WorkspaceId::from_trusted(ws.into()),
            &ListQuery {
                limit: 1,
                ..ListQuery::default()
            },
        )
        .await?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the demo made no reward to copy"))?;
    let rule = serde_json::to_string(&template.rule)?;
    let inputs = serde_json::to_string(&template.inputs)?;

    let names = [
        "Sara", "Omar", "Emma", "Lina", "Noah", "Maya", "Adam", "Huda", "Liam", "Zoe",
    ];
    let mut advocates = Vec::with_capacity(scale.advocates);
    let (mut people, mut codes) = (vec![], vec![]);
    for i in 0..scale.advocates {
        let at = start - rng.gen_range(0..90 * DAY_MS);
        let pid_ = id("prt_", at, &mut rng);
        let code = format!("ADV{i:06}");
        let email = format!("advocate{i}@example.com");
        people.push(vec![
            Text(pid_.clone()),
            Text(ws.into()),
            Text(pid.into()),
            Text(email.clone()),
            Text(email),
            Text(format!(
                "{} {}",
                names[i % names.len()],
                (b'A' + (i % 26) as u8) as char
            )),
            Text(if i % 3 == 0 { "ar" } else { "en" }.into()),
            Text("active".into()),
            Int(at),
        ]);
        codes.push(vec![
            Text(code.clone()),
            Text(code.clone()),
            Text(ws.into()),
            Text(pid.into()),
            Text(pid_.clone()),
            Int(at),
        ]);
        advocates.push((pid_, code));
    }
    store
        .bulk_insert(
            "participants",
            &[
                "id",
                "workspace_id",
                "program_id",
                "email",
                "email_normalized",
                "name",
                "locale",
                "status",
                "created_at",
            ],
            &people,
        )
        .await?;
    store
        .bulk_insert(
            "referral_codes",
            &[
                "code",
                "display",
                "workspace_id",
                "program_id",
                "participant_id",
                "created_at",
            ],
            &codes,
        )
        .await?;

    let mut grown = Grown::default();
    let weight_sum: f64 = (0..SLICES).map(|k| 1.0 + k as f64 / SLICES as f64).sum();
    let slice_ms = 365 * DAY_MS / SLICES as i64;
    for k in 0..SLICES {
        let n = (scale.clicks as f64 * (1.0 + k as f64 / SLICES as f64) / weight_sum) as usize;
        let mut times: Vec<i64> = (0..n)
            .map(|_| start + k as i64 * slice_ms + rng.gen_range(0..slice_ms))
            .collect();
        times.sort_unstable();
        let (mut clicks, mut customers, mut referrals, mut events, mut rewards) =
            (vec![], vec![], vec![], vec![], vec![]);
        for t in times {
            // Skewed: a few advocates bring most of the clicks.
            let a = ((rng.gen::<f64>().powf(2.5)) * scale.advocates as f64) as usize;
            let (advocate, code) = &advocates[a.min(scale.advocates - 1)];
            let click = id("clk_", t, &mut rng);
            let source = SOURCES[rng.gen_range(0..SOURCES.len())];
            clicks.push(vec![
                Text(click.clone()),
                Text(ws.into()),
                Text(pid.into()),
                Text(advocate.clone()),
                Text(code.clone()),
                Int(t),
                Text(format!("{:016x}", rng.gen::<u64>())),
                Text("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)".into()),
                Null,
                source.map_or(Null, |s| Text(s.into())),
                Int(i64::from(rng.gen_bool(0.8))),
            ]);
            grown.clicks += 1;
            if !rng.gen_bool(0.05) {
                continue;
            }
            let n = grown.referrals;
            grown.referrals += 1;
            let (customer, referral) = (id("cus_", t, &mut rng), id("ref_", t, &mut rng));
            let touched = t + rng.gen_range(0..DAY_MS);
            let signed = rng
                .gen_bool(0.8)
                .then(|| touched + rng.gen_range(0..3_600_000));
            let mut at = signed.unwrap_or(touched);
            if let Some(s) = signed.filter(|s| *s < now) {
                events.push(event(
                    &mut rng, ws, pid, "signup", None, &customer, &referral, None, s,
                ));
            }
            let converted = rng
                .gen_bool(0.55)
                .then(|| at + rng.gen_range(0..3 * DAY_MS))
                .filter(|c| *c < now);
            let mut conversion_event = Null;
            let mut payments = 0;
            if let Some(c) = converted {
                let currency = if rng.gen_bool(0.1) { "EUR" } else { "USD" };
                let amount = rng.gen_range(1_500..15_000);
                let order = format!("gen-{n}-0");
                let e = event(
                    &mut rng,
                    ws,
                    pid,
                    "purchase",
                    Some(&order),
                    &customer,
                    &referral,
                    Some((amount, currency)),
                    c,
                );
                conversion_event = e[0].clone();
                events.push(e);
                payments += 1;
                let refunded = rng.gen_bool(0.05) && c + 3 * DAY_MS < now;
                if refunded {
                    events.push(event(
                        &mut rng,
                        ws,
                        pid,
                        "refund",
                        Some(&order),
                        &customer,
                        &referral,
                        Some((amount, currency)),
                        c + 3 * DAY_MS,
                    ));
                }
                for (role, participant, reward_amount) in
                    [("referrer", advocate.as_str(), 1_000), ("referee", "", 500)]
                {
                    let status = if refunded {
                        "reversed"
                    } else if c > now - 14 * DAY_MS {
                        "pending"
                    } else {
                        "approved"
                    };
                    rewards.push(vec![
                        Text(id("rwd_", c, &mut rng)),
                        Text(ws.into()),
                        Text(pid.into()),
                        // The friend's reward: the friend is no participant here, so
                        // it is booked to the advocate's account id for the count.
                        Text(if participant.is_empty() {
                            advocate.clone()
                        } else {
                            participant.into()
                        }),
                        Text(referral.clone()),
                        conversion_event.clone(),
                        Text(role.into()),
                        Text("first_purchase".into()),
                        Text("credit".into()),
                        Int(reward_amount),
                        Text("USD".into()),
                        Text(status.into()),
                        Text(rule.clone()),
                        Text(inputs.clone()),
                        Int(1),
                        Int(c + 14 * DAY_MS),
                        Int(c),
                        Int(c),
                        Int(if refunded { reward_amount } else { 0 }),
                    ]);
                }
                at = c;
                for r in 1..=rng.gen_range(0..4) {
                    let p = at + rng.gen_range(DAY_MS..60 * DAY_MS);
                    if p >= now {
                        break;
                    }
                    let order = format!("gen-{n}-{r}");
                    let amount = rng.gen_range(1_500..15_000);
                    events.push(event(
                        &mut rng,
                        ws,
                        pid,
                        "purchase",
                        Some(&order),
                        &customer,
                        &referral,
                        Some((amount, currency)),
                        p,
                    ));
                    payments += 1;
                    at = p;
                }
            }
            customers.push(vec![
                Text(customer.clone()),
                Text(ws.into()),
                Text(pid.into()),
                Text(format!("friend{n}@example.net")),
                Text(referral.clone()),
                Text("click".into()),
                Text("last_click".into()),
                Int(30),
                Int(touched),
                converted.map_or(NullInt, Int),
                Int(touched),
            ]);
            let status = match (converted, signed) {
                (Some(_), _) => "converted",
                (None, Some(_)) => "signed_up",
                _ => "clicked",
            };
            referrals.push(vec![
                Text(referral),
                Text(ws.into()),
                Text(pid.into()),
                Text(advocate.clone()),
                Text(customer),
                Text(status.into()),
                Text("click".into()),
                Text(click),
                Int(touched),
                signed.filter(|s| *s < now).map_or(NullInt, Int),
                converted.map_or(NullInt, Int),
                conversion_event,
                Int(touched),
                Int(at.min(now)),
                Int(payments),
            ]);
        }
        grown.events += events.len();
        grown.rewards += rewards.len();
        store
            .bulk_insert(
                "clicks",
                &[
                    "id",
                    "workspace_id",
                    "program_id",
                    "participant_id",
                    "code",
                    "occurred_at",
                    "ip_hash",
                    "user_agent",
                    "referer",
                    "source",
                    "is_unique",
                ],
                &clicks,
            )
            .await?;
        store
            .bulk_insert(
                "customers",
                &[
                    "id",
                    "workspace_id",
                    "program_id",
                    "email_normalized",
                    "referral_id",
                    "attribution_source",
                    "attribution_model",
                    "attribution_window_days",
                    "attributed_at",
                    "first_purchase_at",
                    "created_at",
                ],
                &customers,
            )
            .await?;
        store
            .bulk_insert(
                "referrals",
                &[
                    "id",
                    "workspace_id",
                    "program_id",
                    "referrer_participant_id",
                    "customer_id",
                    "status",
                    "source",
                    "click_id",
                    "touched_at",
                    "signed_up_at",
                    "converted_at",
                    "conversion_event_id",
                    "created_at",
                    "updated_at",
                    "payments",
                ],
                &referrals,
            )
            .await?;
        store
            .bulk_insert(
                "events",
                &[
                    "id",
                    "workspace_id",
                    "program_id",
                    "type",
                    "idempotency_key",
                    "order_id",
                    "customer_id",
                    "referral_id",
                    "amount",
                    "currency",
                    "occurred_at",
                    "created_at",
                ],
                &events,
            )
            .await?;
        store
            .bulk_insert(
                "rewards",
                &[
                    "id",
                    "workspace_id",
                    "program_id",
                    "participant_id",
                    "referral_id",
                    "event_id",
                    "role",
                    "trigger",
                    "kind",
                    "amount",
                    "currency",
                    "status",
                    "rule",
                    "inputs",
                    "program_version",
                    "approve_at",
                    "created_at",
                    "updated_at",
                    "reversed_amount",
                ],
                &rewards,
            )
            .await?;
    }
    Ok(grown)
}

#[allow(clippy::too_many_arguments)]
fn event(
    rng: &mut StdRng,
    ws: &str,
    pid: &str,
    kind: &str,
    order: Option<&str>,
    customer: &str,
    referral: &str,
    money: Option<(i64, &str)>,
    at: i64,
) -> Vec<Cell> {
    let id = id("evt_", at, rng);
    let key = match order {
        Some(o) => format!("{kind}:order:{o}"),
        None => id.clone(),
    };
    vec![
        Text(id),
        Text(ws.into()),
        Text(pid.into()),
        Text(kind.into()),
        Text(key),
        order.map_or(Null, |o| Text(o.into())),
        Text(customer.into()),
        Text(referral.into()),
        money.map_or(NullInt, |m| Int(m.0)),
        money.map_or(Null, |m| Text(m.1.into())),
        Int(at),
        Int(at),
    ]
}
