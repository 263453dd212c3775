//! The double-entry ledger: balances are sums of immutable postings, and every
//! transaction's postings sum to zero per currency.
//!
//! Accounts: `participant:{id}:pending` (earned, in hold), `participant:{id}:available`
//! (spendable), `participant:{id}:redeemed` (spent), `program:{id}:rewards` (the
//! program's reward expense, the other side of every earning). A reward's status
//! changes and a redemption are transfers between them.

use crate::ids::{ParticipantId, ProgramId};
use crate::money::{Currency, Money};
use crate::reward::RewardStatus;

/// A ledger account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Account {
    Pending(ParticipantId),
    Available(ParticipantId),
    Redeemed(ParticipantId),
    ProgramRewards(ProgramId),
}

impl Account {
    pub fn key(&self) -> String {
        match self {
            Self::Pending(p) => format!("participant:{p}:pending"),
            Self::Available(p) => format!("participant:{p}:available"),
            Self::Redeemed(p) => format!("participant:{p}:redeemed"),
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

/// The postings for a reward moving from `from` (None: just created) to `to`, or
/// `None` when that move touches no balance.
pub fn reward_transition(
    program: &ProgramId,
    participant: &ParticipantId,
    money: Money,
    from: Option<RewardStatus>,
    to: RewardStatus,
) -> Option<Vec<Posting>> {
    use RewardStatus::*;
    let expense = Account::ProgramRewards(program.clone());
    let pending = Account::Pending(participant.clone());
    let available = Account::Available(participant.clone());
    match (from, to) {
        (None, Pending) => Some(transfer(&expense, &pending, money)),
        (Some(Pending), Approved) => Some(transfer(&pending, &available, money)),
        (Some(Pending), Cancelled) => Some(transfer(&pending, &expense, money)),
        (Some(Approved | Fulfilled | Redeemed), Reversed) => {
            Some(transfer(&available, &expense, money))
        }
        _ => None,
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
                        post(reward_transition(&program, &who, Money::new(a, usd), None, RewardStatus::Pending).unwrap());
                        rewards.push((a, RewardStatus::Pending));
                    }
                    Op::Approve(i) if !rewards.is_empty() => {
                        let i = i % rewards.len();
                        if rewards[i].1 == RewardStatus::Pending {
                            post(reward_transition(&program, &who, Money::new(rewards[i].0, usd), Some(RewardStatus::Pending), RewardStatus::Approved).unwrap());
                            rewards[i].1 = RewardStatus::Approved;
                        }
                    }
                    Op::Refund(i) if !rewards.is_empty() => {
                        let i = i % rewards.len();
                        if let Some(next) = rewards[i].1.after_refund() {
                            post(reward_transition(&program, &who, Money::new(rewards[i].0, usd), Some(rewards[i].1), next).unwrap());
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
    }
}
