//! What a referred friend's step does under a program's rules: which step converts the
//! referral (the goal), and which trigger the rules see.

use super::{ProgramConfig, RewardRule};

/// What one step of a referred friend does under the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub trigger: crate::rules::Trigger,
    /// It converts the referral: the program's goal, reached for the first time.
    pub converts: bool,
}

impl ProgramConfig {
    /// The rule whose step converts a referral: the referrer's (Dropbox pays on signup,
    /// most shops on the first purchase), else the friend's; the friend's offer on
    /// arrival never converts. `None`: the first qualifying payment converts.
    pub fn goal(&self) -> Option<&RewardRule> {
        let usable = |r: &&RewardRule| r.on != crate::rules::PaysOn::Arrival;
        self.referrer_reward
            .as_ref()
            .filter(usable)
            .or_else(|| self.referee_reward.as_ref().filter(usable))
    }

    /// Whether `occ` is the step that converts a referral.
    pub fn converts_on(&self, occ: crate::event::Occurrence) -> bool {
        match self.goal() {
            Some(rule) => rule.answers(occ),
            None => occ.is_payment(),
        }
    }

    /// What a friend's step does: the trigger the rules see and whether it converts the
    /// referral. `payments` counts the friend's payments so far (after conversion).
    /// `None`: before conversion, a step that is not the goal and that no rule pays on
    /// (a payment before a signup goal is not counted).
    pub fn step(
        &self,
        occ: crate::event::Occurrence,
        converted: bool,
        payments: u32,
    ) -> Option<Step> {
        use crate::rules::Trigger;
        if !converted {
            if self.converts_on(occ) {
                return Some(Step {
                    trigger: Trigger::of(occ, 1),
                    converts: true,
                });
            }
            let trigger = Trigger::of(occ, 1);
            let pays = [&self.referrer_reward, &self.referee_reward]
                .into_iter()
                .flatten()
                .any(|r| r.pays(trigger));
            return (pays && !occ.is_payment()).then_some(Step {
                trigger,
                converts: false,
            });
        }
        let n = if occ.is_payment() {
            payments.saturating_add(1)
        } else {
            1
        };
        Some(Step {
            trigger: Trigger::of(occ, n),
            converts: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{EventName, Occurrence as O};
    use crate::program::ProgramConfig;
    use crate::rules::{RewardRule, Trigger};

    fn config(referrer: serde_json::Value, referee: serde_json::Value) -> ProgramConfig {
        let rule = |v: serde_json::Value| -> Option<RewardRule> { serde_json::from_value(v).ok() };
        ProgramConfig {
            referrer_reward: rule(referrer),
            referee_reward: rule(referee),
            ..ProgramConfig::default()
        }
    }

    fn credit(on: &str) -> serde_json::Value {
        serde_json::json!({"kind": "credit", "amount": 100, "currency": "USD", "on": on})
    }

    #[test]
    fn the_referrers_rule_sets_the_goal_and_the_friends_offer_never_does() {
        let c = config(credit("signup"), credit("arrival"));
        assert!(c.converts_on(O::Signup) && !c.converts_on(O::Purchase));
        let c = config(serde_json::Value::Null, credit("arrival"));
        assert!(c.converts_on(O::Purchase), "arrival falls back to payments");
        let c = config(serde_json::Value::Null, credit("signup"));
        assert!(c.converts_on(O::Signup));
        let c = config(credit("purchase"), serde_json::Value::Null);
        assert!(c.converts_on(O::Purchase) && !c.converts_on(O::SubscriptionPayment));
    }

    #[test]
    fn steps_before_and_after_conversion() {
        let c = config(credit("payment"), credit("signup"));
        // Before conversion: the signup pays the friend, a purchase converts.
        let s = c.step(O::Signup, false, 0).unwrap();
        assert_eq!((s.trigger, s.converts), (Trigger::Signup, false));
        let s = c.step(O::Purchase, false, 0).unwrap();
        assert_eq!((s.trigger, s.converts), (Trigger::Purchase(1), true));
        // An unanswered custom event before conversion does nothing.
        let name = EventName::parse("e", "app_installed").unwrap();
        assert!(c.step(O::Custom(name), false, 0).is_none());
        // After: payments are numbered on.
        let s = c.step(O::Purchase, true, 1).unwrap();
        assert_eq!((s.trigger, s.converts), (Trigger::Purchase(2), false));
        // A signup goal: a purchase before the signup is not counted.
        let c = config(credit("signup"), serde_json::Value::Null);
        assert!(c.step(O::Purchase, false, 0).is_none());
        let s = c.step(O::Purchase, true, 0).unwrap();
        assert_eq!(s.trigger, Trigger::Purchase(1));
    }
}
