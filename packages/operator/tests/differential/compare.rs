//! What the differential check compares: the chain-side figures of the delegators and
//! validators at one height, read from the chain or from the strict model, and the reward
//! tolerance where block timing decides.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::str::FromStr;

use cosmwasm_std::{Decimal256, Uint256};

/// One unbonding entry, as x/staking stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unbonding {
    pub creation_height: u64,
    /// Nanoseconds since the epoch.
    pub completion: u64,
    pub initial_balance: u128,
    pub balance: u128,
}

/// One redelegation entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redelegation {
    pub creation_height: u64,
    pub completion: u64,
    pub initial_balance: u128,
    pub shares_dst: Decimal256,
}

/// The figures compared to the unit after every step, at one height (after that block's end).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Staking-denom balance of each delegator, less the rewards it was paid in this run (the
    /// rewards are compared with a tolerance, everything else to the unit).
    pub balances: BTreeMap<String, i128>,
    /// (delegator, validator) -> (shares, tokens they are worth).
    pub delegations: BTreeMap<(String, String), (Decimal256, u128)>,
    /// (delegator, validator) -> entries, oldest first.
    pub unbondings: BTreeMap<(String, String), Vec<Unbonding>>,
    /// (delegator, source, destination) -> entries, oldest first.
    pub redelegations: BTreeMap<(String, String, String), Vec<Redelegation>>,
    /// validator -> (tokens, delegator shares).
    pub validators: BTreeMap<String, (u128, Decimal256)>,
}

impl State {
    /// Compares the chain's state (`self`) with the model's: the number of figures compared,
    /// and one line per difference.
    pub fn compare(&self, model: &State) -> (usize, Vec<String>) {
        let mut out = Outcome::default();
        out.maps("balance", &self.balances, &model.balances, |_, _| 1);
        out.maps(
            "delegation",
            &self.delegations,
            &model.delegations,
            |_, _| 2,
        );
        out.maps("unbonding", &self.unbondings, &model.unbondings, |a, b| {
            1 + 4 * a.len().max(b.len())
        });
        out.maps(
            "redelegation",
            &self.redelegations,
            &model.redelegations,
            |a, b| 1 + 4 * a.len().max(b.len()),
        );
        out.maps("validator", &self.validators, &model.validators, |_, _| 2);
        (out.figures, out.differences)
    }
}

#[derive(Default)]
struct Outcome {
    figures: usize,
    differences: Vec<String>,
}

impl Outcome {
    fn maps<K: Ord + Debug, V: PartialEq + Debug>(
        &mut self,
        what: &str,
        chain: &BTreeMap<K, V>,
        model: &BTreeMap<K, V>,
        figures: impl Fn(&V, &V) -> usize,
    ) {
        for (key, on_chain) in chain {
            match model.get(key) {
                Some(in_model) => {
                    self.figures += figures(on_chain, in_model);
                    if on_chain != in_model {
                        self.differences.push(format!(
                            "{what} {key:?}: chain {on_chain:?}, model {in_model:?}"
                        ));
                    }
                }
                None => {
                    self.figures += 1;
                    self.differences
                        .push(format!("{what} {key:?}: chain {on_chain:?}, model none"));
                }
            }
        }
        for (key, in_model) in model {
            if !chain.contains_key(key) {
                self.figures += 1;
                self.differences
                    .push(format!("{what} {key:?}: chain none, model {in_model:?}"));
            }
        }
    }
}

/// A `LegacyDec` as the chain's protobuf answers carry it: the integer of its 10^-18 units
/// ("1500000000000000000" is 1.5); a decimal point is read as a decimal.
pub fn parse_dec(text: &str) -> Decimal256 {
    if text.is_empty() {
        return Decimal256::zero();
    }
    if text.contains('.') {
        return Decimal256::from_str(text).unwrap_or_else(|e| panic!("decimal {text:?}: {e}"));
    }
    Decimal256::new(Uint256::from_str(text).unwrap_or_else(|e| panic!("decimal {text:?}: {e}")))
}

/// The amount of `denom` in a coin list as events print it ("12stake,3inj"); zero if absent.
pub fn amount_of(coins: &str, denom: &str) -> u128 {
    coins
        .split(',')
        .filter_map(|coin| {
            let digits = coin.trim().chars().take_while(char::is_ascii_digit).count();
            let (amount, name) = coin.trim().split_at(digits);
            (name == denom).then(|| amount.parse::<u128>().unwrap_or(0))
        })
        .sum()
}

/// Relative part of the reward tolerance: the chain's reward per token and block drifts with
/// the bonded total (every delegation this run makes moves it; the users' whole stake is 1.25 %
/// of the validators' bonds) and with inflation (negligible over an hour).
pub const REWARD_RELATIVE: f64 = 0.02;
/// Absolute part, in the smallest unit: the truncations of both sides.
pub const REWARD_ABSOLUTE: f64 = 2.0;

/// One reward figure of the chain and of the model for the same delegation over the same
/// reward period: `blocks` blocks of the chain's allocation, `model_seconds` whole seconds of
/// the model's accrual.
#[derive(Clone, Copy, Debug)]
pub struct RewardPair {
    pub chain: f64,
    pub model: f64,
    pub blocks: u64,
    pub model_seconds: u64,
}

impl RewardPair {
    /// The model's figure expected from the chain's: the chain pays a fixed amount per block,
    /// the model a fixed amount per second (its rate calibrated on the chain as the reward per
    /// block over `seconds_per_block`), so the chain's figure converts to the model's clock by
    /// `model_seconds / (blocks * seconds_per_block)`.
    pub fn expected_model(&self, seconds_per_block: f64) -> f64 {
        if self.blocks == 0 {
            return 0.0;
        }
        self.chain * self.model_seconds as f64 / (self.blocks as f64 * seconds_per_block)
    }

    /// Within tolerance: a period of no block pays nothing on either side, exactly; otherwise
    /// the model's figure is within [`REWARD_RELATIVE`] of the converted chain figure, plus
    /// [`REWARD_ABSOLUTE`] units.
    pub fn check(&self, seconds_per_block: f64) -> Result<(), String> {
        if self.blocks == 0 {
            if self.chain == 0.0 && self.model == 0.0 {
                return Ok(());
            }
            return Err(format!(
                "a reward period of no block: chain {}, model {} (both must be 0)",
                self.chain, self.model
            ));
        }
        let expected = self.expected_model(seconds_per_block);
        let allowed = REWARD_RELATIVE * expected + REWARD_ABSOLUTE;
        if (self.model - expected).abs() <= allowed {
            Ok(())
        } else {
            Err(format!(
                "rewards over {} blocks / {} s: chain {:.0}, model {:.0}, model expected {:.0} \
                 (+- {:.0})",
                self.blocks, self.model_seconds, self.chain, self.model, expected, allowed
            ))
        }
    }

    /// The model's figure over the converted chain figure, less one: the part of the
    /// difference the tolerance absorbs.
    pub fn residual(&self, seconds_per_block: f64) -> Option<f64> {
        let expected = self.expected_model(seconds_per_block);
        (expected > 0.0).then(|| self.model / expected - 1.0)
    }

    /// The model's figure over the chain's, unconverted: how far apart block timing puts them.
    pub fn raw_ratio(&self) -> Option<f64> {
        (self.chain > 0.0).then(|| self.model / self.chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_decimals_are_read_from_their_units() {
        assert_eq!(parse_dec("1500000000000000000"), Decimal256::percent(150));
        assert_eq!(parse_dec("1.5"), Decimal256::percent(150));
        assert_eq!(parse_dec(""), Decimal256::zero());
        assert_eq!(amount_of("12stake,3inj", "stake"), 12);
        assert_eq!(amount_of("3inj", "stake"), 0);
        assert_eq!(amount_of("", "stake"), 0);
    }

    /// The tolerance as the runner applies it: the model accruing per second and the chain per
    /// block agree once the chain's figure is put on the model's clock; a period with no block
    /// pays nothing, exactly; a model off by more than the drift allowance is a difference.
    #[test]
    fn the_reward_tolerance_converts_blocks_to_seconds() {
        let per_block = 1_000_000.0;
        let seconds_per_block = 0.6;
        // 100 blocks in 60 s of model time: the model, at per_block / 0.6 a second, pays the same.
        let exact = RewardPair {
            chain: 100.0 * per_block,
            model: 60.0 * per_block / seconds_per_block,
            blocks: 100,
            model_seconds: 60,
        };
        assert!(exact.check(seconds_per_block).is_ok());
        assert!(exact.residual(seconds_per_block).unwrap().abs() < 1e-12);
        // Slow blocks: 100 blocks took 90 s. The model pays 1.5 times the chain, which the
        // conversion explains: still within tolerance.
        let slow = RewardPair {
            model: 90.0 * per_block / seconds_per_block,
            model_seconds: 90,
            ..exact
        };
        assert!(slow.check(seconds_per_block).is_ok());
        assert!((slow.raw_ratio().unwrap() - 1.5).abs() < 1e-12);
        // A drift of 1.9 % is absorbed, 2.5 % is not.
        let drift = |factor: f64| RewardPair {
            model: exact.model * factor,
            ..exact
        };
        assert!(drift(1.019).check(seconds_per_block).is_ok());
        assert!(drift(0.981).check(seconds_per_block).is_ok());
        assert!(drift(1.025).check(seconds_per_block).is_err());
        assert!(drift(0.975).check(seconds_per_block).is_err());
        // No block in the period: both must be zero.
        let none = RewardPair {
            chain: 0.0,
            model: 0.0,
            blocks: 0,
            model_seconds: 0,
        };
        assert!(none.check(seconds_per_block).is_ok());
        assert!(RewardPair { model: 3.0, ..none }
            .check(seconds_per_block)
            .is_err());
        // One block within one second of model time: the model has accrued nothing yet.
        let within_a_second = RewardPair {
            chain: per_block,
            model: 0.0,
            blocks: 1,
            model_seconds: 0,
        };
        assert!(within_a_second.check(seconds_per_block).is_ok());
    }

    #[test]
    fn states_differ_figure_by_figure() {
        let mut chain = State::default();
        chain.balances.insert("a".into(), 10);
        chain.unbondings.insert(
            ("a".into(), "v".into()),
            vec![Unbonding {
                creation_height: 5,
                completion: 7,
                initial_balance: 3,
                balance: 3,
            }],
        );
        let model = chain.clone();
        assert_eq!(chain.compare(&model), (6, vec![]));
        let mut other = model.clone();
        other.unbondings.get_mut(&("a".into(), "v".into())).unwrap()[0].completion = 8;
        other.balances.insert("b".into(), 0);
        let (_, differences) = chain.compare(&other);
        assert_eq!(differences.len(), 2, "{differences:?}");
    }
}
