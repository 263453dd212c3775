//! The double-entry ledger: balances are sums of immutable postings, and every
//! transaction's postings sum to zero per currency.
//!
//! Accounts: `participant:{id}:pending` (earned, in hold), `participant:{id}:available`
//! (spendable), `participant:{id}:redeemed` (spent), `program:{id}:rewards` (the
//! program's reward expense, the other side of every earning). A reward's status
//! changes and a redemption are transfers between them. Cash rewards become
//! `participant:{id}:payable` instead of available, move to `in_payout` when batched and
//! to `paid_out` when the payout succeeds. Coupons, gift cards and custom rewards are
//! not balances and post nothing.

use crate::ids::{ParticipantId, ProgramId};
use crate::money::{Currency, Money};
use crate::reward::RewardStatus;
use crate::rules::RewardKind;

/// A ledger account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Account {
    Pending(ParticipantId),
    Available(ParticipantId),
    Redeemed(ParticipantId),
    /// Approved cash, owed until paid out.
    Payable(ParticipantId),
    /// Cash in a payout batch that has not been confirmed yet.
    InPayout(ParticipantId),
    PaidOut(ParticipantId),
    ProgramRewards(ProgramId),
}

impl Account {
    /// What a participant's payable account key is around the participant id, for
    /// queries that join accounts to participants: `{prefix}{id}{suffix}`.
    pub const PAYABLE_KEY_AROUND_ID: (&'static str, &'static str) = ("participant:", ":payable");

    pub fn key(&self) -> String {
        match self {
            Self::Pending(p) => format!("participant:{p}:pending"),
            Self::Available(p) => format!("participant:{p}:available"),
            Self::Redeemed(p) => format!("participant:{p}:redeemed"),
            Self::Payable(p) => {
                let (prefix, suffix) = Self::PAYABLE_KEY_AROUND_ID;
                format!("{prefix}{p}{suffix}")
            }
            Self::InPayout(p) => format!("participant:{p}:in_payout"),
            Self::PaidOut(p) => format!("participant:{p}:paid_out"),
            Self::ProgramRewards(p) => format!("program:{p}:rewards"),
        }
    }
}

/// One line of a ledger transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: String,
    /// Positive credits the account, negative debits it.
    pub amount: i64,
    pub currency: Currency,
}

/// A balanced move of `money` from one account to another.
pub fn transfer(from: &Account, to: &Account, money: Money) -> Vec<Posting> {
    vec![
        Posting {
            account: from.key(),
            amount: -money.amount,
            currency: money.currency,
        },
        Posting {
            account: to.key(),
            amount: money.amount,
            currency: money.currency,
        },
    ]
}

/// Where an approved reward of `kind` sits: spendable credit and points, payable cash.
/// `None` for kinds that are not balances.
pub fn settled_account(kind: RewardKind, participant: &ParticipantId) -> Option<Account> {
    match kind {
        RewardKind::Credit | RewardKind::Points => Some(Account::Available(participant.clone())),
        RewardKind::Cash => Some(Account::Payable(participant.clone())),
        RewardKind::Coupon | RewardKind::GiftCard | RewardKind::Custom => None,
    }
}

/// The postings for a reward moving from `from` (None: just created) to `to`, or
/// `None` when that move touches no balance.
pub fn reward_transition(
    program: &ProgramId,
    participant: &ParticipantId,
    kind: RewardKind,
    money: Money,
    from: Option<RewardStatus>,
    to: RewardStatus,
) -> Option<Vec<Posting>> {
    use RewardStatus::*;
    let settled = settled_account(kind, participant)?;
    let expense = Account::ProgramRewards(program.clone());
    let pending = Account::Pending(participant.clone());
    match (from, to) {
        (None, Pending) => Some(transfer(&expense, &pending, money)),
        (Some(Pending), Approved) => Some(transfer(&pending, &settled, money)),
        (Some(Pending), Cancelled) => Some(transfer(&pending, &expense, money)),
        (Some(Approved | Fulfilled | Redeemed), Reversed) => {
            Some(transfer(&settled, &expense, money))
        }
        _ => None,
    }
}

/// Part of a reward clawed back by a partial refund: out of pending inside the hold,
/// out of the settled balance after (which may go negative; later earnings net it).
pub fn partial_reversal(
    program: &ProgramId,
    participant: &ParticipantId,
    kind: RewardKind,
    money: Money,
    status: RewardStatus,
) -> Option<Vec<Posting>> {
    let expense = Account::ProgramRewards(program.clone());
    match status {
        RewardStatus::Pending => Some(transfer(
            &Account::Pending(participant.clone()),
            &expense,
            money,
        ))
        .filter(|_| kind.in_ledger()),
        RewardStatus::Approved | RewardStatus::Fulfilled | RewardStatus::Redeemed => {
            settled_account(kind, participant).map(|a| transfer(&a, &expense, money))
        }
        RewardStatus::Cancelled | RewardStatus::Reversed => None,
    }
}

/// The amount of a reward a refund takes back: the share of the order refunded so far,
/// less what earlier refunds already took. Only percent rewards shrink with a partial
/// refund; a full refund takes everything.
pub fn refund_share(reward: i64, already: i64, order: i64, refunded: i64) -> i64 {
    if order <= 0 || refunded >= order {
        return (reward - already).max(0);
    }
    let due = i128::from(reward) * i128::from(refunded.max(0)) / i128::from(order);
    (i64::try_from(due).unwrap_or(reward) - already).clamp(0, (reward - already).max(0))
}

/// A step of a cash payout line: batched (payable → in payout), paid (in payout →
/// paid out) or failed (back to payable, to be paid in a later batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutStep {
    Batched,
    Paid,
    Failed,
}

pub fn payout_postings(
    participant: &ParticipantId,
    money: Money,
    step: PayoutStep,
) -> Vec<Posting> {
    let payable = Account::Payable(participant.clone());
    let in_payout = Account::InPayout(participant.clone());
    let paid = Account::PaidOut(participant.clone());
    match step {
        PayoutStep::Batched => transfer(&payable, &in_payout, money),
        PayoutStep::Paid => transfer(&in_payout, &paid, money),
        PayoutStep::Failed => transfer(&in_payout, &payable, money),
    }
}

/// Why a redemption is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedeemError {
    NotPositive,
    /// More than the available balance (which is given).
    Overdraw {
        available: i64,
    },
}

/// The postings for spending `money` out of an available balance of `available`.
/// A balance is never overdrawn by a redemption (refund clawbacks may still take it
/// below zero; that is netted against later earnings).
pub fn redeem(
    participant: &ParticipantId,
    money: Money,
    available: i64,
) -> Result<Vec<Posting>, RedeemError> {
    if money.amount <= 0 {
        return Err(RedeemError::NotPositive);
    }
    if money.amount > available {
        return Err(RedeemError::Overdraw { available });
    }
    Ok(transfer(
        &Account::Available(participant.clone()),
        &Account::Redeemed(participant.clone()),
        money,
    ))
}

/// Whether postings balance to zero in every currency.
pub fn is_balanced(postings: &[Posting]) -> bool {
    let mut sums: Vec<(Currency, i128)> = Vec::new();
    for p in postings {
        match sums.iter_mut().find(|(c, _)| *c == p.currency) {
            Some((_, s)) => *s += i128::from(p.amount),
            None => sums.push((p.currency, i128::from(p.amount))),
        }
    }
    sums.iter().all(|(_, s)| *s == 0)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn redemptions_never_overdraw() {
        let usd = Currency::parse("c", "USD").unwrap();
        let who = ParticipantId::new();
        assert_eq!(
            redeem(&who, Money::new(0, usd), 10),
            Err(RedeemError::NotPositive)
        );
        assert_eq!(
            redeem(&who, Money::new(11, usd), 10),
            Err(RedeemError::Overdraw { available: 10 })
        );
        let ps = redeem(&who, Money::new(10, usd), 10).unwrap();
        assert!(is_balanced(&ps));
        assert_eq!(ps[0].account, Account::Available(who.clone()).key());
        assert_eq!(ps[0].amount, -10);
    }

    proptest! {
        /// Any sequence of redemption attempts leaves the available balance in [0, start].
        #[test]
        fn redeeming_keeps_balance_non_negative(start in 0i64..1_000_000, tries in proptest::collection::vec(-10i64..400_000, 0..30)) {
            let usd = Currency::parse("c", "USD").unwrap();
            let who = ParticipantId::new();
            let mut available = start;
            for t in tries {
                if let Ok(ps) = redeem(&who, Money::new(t, usd), available) {
                    available += ps.iter().filter(|p| p.account == Account::Available(who.clone()).key()).map(|p| p.amount).sum::<i64>();
                }
                prop_assert!((0..=start).contains(&available));
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Earn(i64),
        Approve(usize),
        Refund(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..1_000_000).prop_map(Op::Earn),
            any::<usize>().prop_map(Op::Approve),
            any::<usize>().prop_map(Op::Refund),
        ]
    }

    proptest! {
        /// Any sequence of earnings, approvals and refunds keeps every transaction
        /// balanced, never drives `pending` negative, and leaves `available` equal to
        /// the approved rewards that were not reversed.
        #[test]
        fn lifecycle_keeps_the_books_straight(ops in proptest::collection::vec(op(), 0..60)) {
            let usd = Currency::parse("c", "USD").unwrap();
            let program = ProgramId::new();
            let who = ParticipantId::new();
            let mut rewards: Vec<(i64, RewardStatus)> = Vec::new();
            let mut balances: HashMap<String, i64> = HashMap::new();
            let mut post = |ps: Vec<Posting>| {
                assert!(is_balanced(&ps));
                for p in ps { *balances.entry(p.account).or_default() += p.amount; }
            };
            for op in ops {
                match op {
                    Op::Earn(a) => {
                        post(reward_transition(&program, &who, RewardKind::Credit, Money::new(a, usd), None, RewardStatus::Pending).unwrap());
                        rewards.push((a, RewardStatus::Pending));
                    }
                    Op::Approve(i) if !rewards.is_empty() => {
                        let i = i % rewards.len();
                        if rewards[i].1 == RewardStatus::Pending {
                            post(reward_transition(&program, &who, RewardKind::Credit, Money::new(rewards[i].0, usd), Some(RewardStatus::Pending), RewardStatus::Approved).unwrap());
                            rewards[i].1 = RewardStatus::Approved;
                        }
                    }
                    Op::Refund(i) if !rewards.is_empty() => {
                        let i = i % rewards.len();
                        if let Some(next) = rewards[i].1.after_refund() {
                            post(reward_transition(&program, &who, RewardKind::Credit, Money::new(rewards[i].0, usd), Some(rewards[i].1), next).unwrap());
                            rewards[i].1 = next;
                        }
                    }
                    _ => {}
                }
            }
            let get = |a: Account| balances.get(&a.key()).copied().unwrap_or(0);
            let pending: i64 = rewards.iter().filter(|r| r.1 == RewardStatus::Pending).map(|r| r.0).sum();
            let available: i64 = rewards.iter().filter(|r| r.1 == RewardStatus::Approved).map(|r| r.0).sum();
            prop_assert_eq!(get(Account::Pending(who.clone())), pending);
            prop_assert_eq!(get(Account::Available(who.clone())), available);
            prop_assert!(get(Account::Pending(who.clone())) >= 0);
            prop_assert_eq!(balances.values().sum::<i64>(), 0);
        }

        /// However an order is refunded in parts, the clawbacks add up to at most the
        /// reward, exactly the reward once the whole order is refunded, and never less
        /// than the refunded share.
        #[test]
        fn partial_refunds_claw_back_proportionally(
            reward in 1i64..1_000_000,
            order in 1i64..10_000_000,
            parts in proptest::collection::vec(1i64..5_000_000, 1..8),
        ) {
            let mut refunded = 0i64;
            let mut taken = 0i64;
            for part in parts {
                refunded = (refunded + part).min(order);
                let t = refund_share(reward, taken, order, refunded);
                prop_assert!(t >= 0);
                taken += t;
                prop_assert!(taken <= reward);
                let floor = i128::from(reward) * i128::from(refunded) / i128::from(order);
                prop_assert_eq!(i128::from(taken), floor);
            }
            prop_assert_eq!(refund_share(reward, taken, order, order) + taken, reward);
        }
    }
}
