//! Holdout groups: which group a customer is in, the rule that keeps the control group
//! away from the program, and the lift report (see `vouch_domain::holdout`).

use vouch_domain::holdout::{identity, lift, Group, Lift, Sample};
use vouch_domain::Millis;
use vouch_store::{Program, Store, StoreTx};

use crate::error::{AppError, Result};
use crate::fraud::FraudData;

/// Where a customer stands in a program's holdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub group: Group,
    /// Whether the program holds anyone out at all.
    pub holdout: bool,
}

/// The group of the customer known by this email (normalized) or id.
pub async fn group_for(
    store: &dyn Store,
    fraud: &FraudData,
    program: &Program,
    email_normalized: Option<&str>,
    external_id: Option<&str>,
) -> Result<Standing> {
    let holdout = program.config.holdout_percent > 0;
    if !holdout {
        return Ok(Standing {
            group: Group::Exposed,
            holdout,
        });
    }
    // The workspace's key, not the server's secret: rotating that must not move
    // customers between groups.
    let key = crate::fraud::workspace_key(store, fraud, &program.workspace_id).await?;
    let mut group = program
        .config
        .holdout_group(&key, program.id.as_str(), email_normalized, external_id)
        .unwrap_or(Group::Exposed);
    // An advocate already enrolled (before the holdout, or as a referred friend) has
    // seen the program and keeps it, as enrolment does.
    if group == Group::Control
        && store
            .is_enrolled(&program.id, email_normalized, external_id)
            .await?
    {
        group = Group::Exposed;
    }
    Ok(Standing { group, holdout })
}

/// Refuses to enrol a control customer, inside the enrolment's transaction. Friends
/// who came through a referral are exposed already and always join; an advocate who
/// joined before the holdout began keeps their place.
pub(crate) async fn check_enrolment(
    tx: &mut dyn StoreTx,
    program: &Program,
    email_normalized: Option<&str>,
    external_id: Option<&str>,
) -> Result<Option<vouch_store::Participant>> {
    if program.config.holdout_percent == 0 || identity(email_normalized, external_id).is_none() {
        return Ok(None);
    }
    let key = tx
        .workspace_hash_key(&program.workspace_id)
        .await?
        .unwrap_or_default();
    let group =
        program
            .config
            .holdout_group(&key, program.id.as_str(), email_normalized, external_id);
    if group != Some(Group::Control) {
        return Ok(None);
    }
    if let Some(p) = tx
        .find_participant(&program.id, email_normalized, external_id)
        .await?
    {
        return Ok(Some(p));
    }
    Err(held_out())
}

/// The answer for a control customer the program must not reach.
pub fn held_out() -> AppError {
    AppError::Conflict {
        code: "holdout_control",
        field: None,
        message: "this customer is in the program's holdout (control) group: the program \
                  is not shown to them, so that what it adds can be measured"
            .into(),
    }
}

/// One group's customers and what they did after their first purchase.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupOutcome {
    pub customers: u64,
    /// Customers with at least one conversion (a later purchase or a converted friend).
    pub converting: u64,
    /// Their later purchases plus their referred friends' conversions.
    pub conversions: Sample,
    /// Their later net revenue plus their referred friends' (minor units).
    pub revenue: Sample,
    /// Their own later purchases alone, and their net revenue.
    pub own_purchases: Sample,
    pub own_revenue: Sample,
}

#[derive(Debug, Clone)]
pub struct LiftReport {
    pub from: Millis,
    pub to: Millis,
    pub exposed: GroupOutcome,
    pub control: GroupOutcome,
    pub conversions: Lift,
    pub revenue: Lift,
    pub own_purchases: Lift,
    pub own_revenue: Lift,
}

/// The lift of the program among customers whose first purchase (not through a
/// referral) fell in `[from, to)`, each followed until `to`. `from` starts no earlier
/// than the current holdout.
pub async fn lift_report(
    store: &dyn Store,
    fraud: &FraudData,
    program: &Program,
    from: Millis,
    to: Millis,
    currency: &str,
) -> Result<LiftReport> {
    if program.config.holdout_percent == 0 {
        return Err(AppError::invalid(
            "program_id",
            "this program holds no customers out: set holdout_percent first",
        ));
    }
    let from = from.max(program.config.holdout_since.unwrap_or(from));
    let key = crate::fraud::workspace_key(store, fraud, &program.workspace_id).await?;
    let mut exposed = GroupOutcome::default();
    let mut control = GroupOutcome::default();
    if from < to {
        for row in store
            .holdout_outcomes(&program.id, from, to, currency)
            .await?
        {
            let g = match program.config.holdout_group(
                &key,
                program.id.as_str(),
                row.email_normalized.as_deref(),
                row.external_id.as_deref(),
            ) {
                Some(Group::Exposed) => &mut exposed,
                Some(Group::Control) => &mut control,
                None => continue,
            };
            let conversions = row.purchases + row.friend_conversions;
            g.customers += 1;
            g.converting += u64::from(conversions > 0);
            g.conversions.add(conversions as f64);
            g.revenue.add((row.revenue + row.friend_revenue) as f64);
            g.own_purchases.add(row.purchases as f64);
            g.own_revenue.add(row.revenue as f64);
        }
    }
    Ok(LiftReport {
        from,
        to,
        conversions: lift(&exposed.conversions, &control.conversions),
        revenue: lift(&exposed.revenue, &control.revenue),
        own_purchases: lift(&exposed.own_purchases, &control.own_purchases),
        own_revenue: lift(&exposed.own_revenue, &control.own_revenue),
        exposed,
        control,
    })
}
