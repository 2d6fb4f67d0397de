//! The mock chain behind the `hub_execute` target: the hub's delegations, unbonding and
//! redelegation entries, bank balances, rewards and the derivative token, moved by the
//! messages the hub emits exactly as a chain would move them, and refusing what a chain would
//! refuse. A refusal is returned as a [`Refusal`]; the target treats one as a finding, since a
//! hub that emits a message the chain refuses cannot complete that operation.

use std::collections::BTreeMap;

/// Why the chain refuses a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(reason.into()))
}

/// An unbonding or redelegation entry: `amount` at `validator` until `completes_at`.
#[derive(Clone, Debug)]
pub struct Entry {
    pub validator: String,
    pub amount: u128,
    pub completes_at: u64,
}

/// The derivative token: cw20 balances and supply, the hub its only minter.
#[derive(Clone, Debug, Default)]
pub struct Token {
    pub balances: BTreeMap<String, u128>,
    pub supply: u128,
}

impl Token {
    pub fn balance(&self, holder: &str) -> u128 {
        self.balances.get(holder).copied().unwrap_or(0)
    }

    pub fn mint(&mut self, recipient: &str, amount: u128) -> Result<(), Refusal> {
        if amount == 0 {
            return refuse("cw20: mint of zero");
        }
        let Some(supply) = self.supply.checked_add(amount) else {
            return refuse("cw20: supply overflows");
        };
        self.supply = supply;
        // The supply bounds every balance, so no balance overflows.
        *self.balances.entry(recipient.to_string()).or_default() += amount;
        Ok(())
    }

    pub fn burn(&mut self, holder: &str, amount: u128) -> Result<(), Refusal> {
        if amount == 0 {
            return refuse("cw20: burn of zero");
        }
        let balance = self.balances.entry(holder.to_string()).or_default();
        if *balance < amount {
            return refuse(format!(
                "cw20: burn of {amount} above the balance {balance}"
            ));
        }
        *balance -= amount;
        self.supply -= amount;
        Ok(())
    }

    pub fn transfer(&mut self, from: &str, to: &str, amount: u128) -> Result<(), Refusal> {
        if amount == 0 {
            return refuse("cw20: transfer of zero");
        }
        let balance = self.balances.entry(from.to_string()).or_default();
        if *balance < amount {
            return refuse(format!(
                "cw20: transfer of {amount} above the balance {balance}"
            ));
        }
        *balance -= amount;
        *self.balances.entry(to.to_string()).or_default() += amount;
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Chain {
    /// Most native that may exist in the chain's books (see [`Chain::held`]).
    pub supply_cap: u128,
    pub denom: String,
    /// The hub's address.
    pub hub: String,
    pub unbonding_period: u64,
    /// Validators that exist on the chain.
    pub validators: Vec<String>,
    /// The hub's delegations.
    pub delegations: BTreeMap<String, u128>,
    /// The hub's unbonding entries, paid to it when they complete.
    pub unbondings: Vec<Entry>,
    /// Redelegations into a validator still maturing: that stake cannot be redelegated again.
    pub redelegations: Vec<Entry>,
    pub hub_balance: u128,
    pub collector_balance: u128,
    /// Whether the hub set the collector as its reward withdraw address.
    pub withdraw_to_collector: bool,
    /// Rewards accrued on each of the hub's delegations and not withdrawn yet.
    pub rewards: BTreeMap<String, u128>,
    /// Native the hub sent out, by recipient.
    pub sent: BTreeMap<String, u128>,
    pub token: Token,
}

impl Chain {
    pub fn new(
        supply_cap: u128,
        denom: &str,
        hub: &str,
        validators: Vec<String>,
        unbonding_period: u64,
    ) -> Self {
        Chain {
            supply_cap,
            denom: denom.to_string(),
            hub: hub.to_string(),
            unbonding_period,
            validators,
            delegations: BTreeMap::new(),
            unbondings: vec![],
            redelegations: vec![],
            hub_balance: 0,
            collector_balance: 0,
            withdraw_to_collector: false,
            rewards: BTreeMap::new(),
            sent: BTreeMap::new(),
            token: Token::default(),
        }
    }

    /// All native the chain holds for the hub and its collector: balances, delegations,
    /// unbonding entries and accrued rewards. Native moves between these without changing the
    /// sum; only what enters from outside ([`Chain::receive`], [`Chain::accrue`]) raises it,
    /// and never beyond the supply cap (at most `u128::MAX`), so no sum here overflows.
    pub fn held(&self) -> u128 {
        let parts = [
            self.hub_balance,
            self.collector_balance,
            self.delegations.values().sum(),
            self.unbondings.iter().map(|entry| entry.amount).sum(),
            self.rewards.values().sum(),
        ];
        parts.into_iter().sum()
    }

    /// Whether `amount` more can enter the chain's books.
    pub fn has_room(&self, amount: u128) -> bool {
        self.held()
            .checked_add(amount)
            .is_some_and(|held| held <= self.supply_cap)
    }

    /// Native arrives from outside, at the hub or at the collector; `false` if it cannot.
    pub fn receive(&mut self, amount: u128, to_collector: bool) -> bool {
        if !self.has_room(amount) {
            return false;
        }
        if to_collector {
            self.collector_balance += amount;
        } else {
            self.hub_balance += amount;
        }
        true
    }

    pub fn delegation(&self, validator: &str) -> u128 {
        self.delegations.get(validator).copied().unwrap_or(0)
    }

    /// What of a delegation can be redelegated now: all but what arrived by a redelegation
    /// still maturing (the chain's rule against transitive redelegation).
    pub fn can_redelegate(&self, validator: &str) -> u128 {
        let maturing: u128 = self
            .redelegations
            .iter()
            .filter(|entry| entry.validator == validator)
            .map(|entry| entry.amount)
            .sum();
        self.delegation(validator).saturating_sub(maturing)
    }

    fn check_denom(&self, denom: &str) -> Result<(), Refusal> {
        if denom != self.denom {
            return refuse(format!("the hub holds no {denom}"));
        }
        Ok(())
    }

    fn check_validator(&self, validator: &str) -> Result<(), Refusal> {
        if !self.validators.iter().any(|v| v == validator) {
            return refuse(format!("no validator {validator} on the chain"));
        }
        Ok(())
    }

    /// Pays a delegation's accrued rewards, as the chain does whenever the delegation changes.
    fn pay_rewards(&mut self, validator: &str) {
        let Some(rewards) = self.rewards.remove(validator) else {
            return;
        };
        if self.withdraw_to_collector {
            self.collector_balance += rewards;
        } else {
            self.hub_balance += rewards;
        }
    }

    pub fn delegate(&mut self, validator: &str, denom: &str, amount: u128) -> Result<(), Refusal> {
        self.check_denom(denom)?;
        self.check_validator(validator)?;
        if amount == 0 {
            return refuse("delegation of zero");
        }
        if self.hub_balance < amount {
            return refuse(format!(
                "delegation of {amount} but the hub holds {}",
                self.hub_balance
            ));
        }
        self.pay_rewards(validator);
        self.hub_balance -= amount;
        *self.delegations.entry(validator.to_string()).or_default() += amount;
        Ok(())
    }

    pub fn undelegate(
        &mut self,
        validator: &str,
        denom: &str,
        amount: u128,
        now: u64,
    ) -> Result<(), Refusal> {
        self.check_denom(denom)?;
        if amount == 0 {
            return refuse("undelegation of zero");
        }
        let delegated = self.delegation(validator);
        if delegated < amount {
            return refuse(format!(
                "undelegation of {amount} from {validator}, which holds {delegated}"
            ));
        }
        self.pay_rewards(validator);
        self.delegations
            .insert(validator.to_string(), delegated - amount);
        self.unbondings.push(Entry {
            validator: validator.to_string(),
            amount,
            completes_at: now + self.unbonding_period,
        });
        Ok(())
    }

    pub fn redelegate(
        &mut self,
        source: &str,
        destination: &str,
        denom: &str,
        amount: u128,
        now: u64,
    ) -> Result<(), Refusal> {
        self.check_denom(denom)?;
        self.check_validator(destination)?;
        if source == destination {
            return refuse("redelegation to the same validator");
        }
        if amount == 0 {
            return refuse("redelegation of zero");
        }
        let movable = self.can_redelegate(source);
        if movable < amount {
            return refuse(format!(
                "redelegation of {amount} from {source}, of which {movable} may move"
            ));
        }
        self.pay_rewards(source);
        self.pay_rewards(destination);
        *self.delegations.get_mut(source).expect("checked above") -= amount;
        *self.delegations.entry(destination.to_string()).or_default() += amount;
        self.redelegations.push(Entry {
            validator: destination.to_string(),
            amount,
            completes_at: now + self.unbonding_period,
        });
        Ok(())
    }

    pub fn withdraw_rewards(&mut self, validator: &str) -> Result<(), Refusal> {
        if self.delegation(validator) == 0 {
            return refuse(format!("no delegation to {validator} to withdraw from"));
        }
        self.pay_rewards(validator);
        Ok(())
    }

    /// A bank send by the hub. A send to the hub itself (a withdrawal or a fee paid to it)
    /// leaves its balance as it was.
    pub fn send(&mut self, recipient: &str, denom: &str, amount: u128) -> Result<(), Refusal> {
        self.check_denom(denom)?;
        if self.hub_balance < amount {
            return refuse(format!(
                "send of {amount} but the hub holds {}",
                self.hub_balance
            ));
        }
        if recipient != self.hub {
            self.hub_balance -= amount;
        }
        // What the hub sends is counted in its own totals first, which are checked.
        *self.sent.entry(recipient.to_string()).or_default() += amount;
        Ok(())
    }

    /// Completes what matured by `now`: unbondings are paid to the hub, redelegations may move
    /// again.
    pub fn mature(&mut self, now: u64) {
        let (done, waiting): (Vec<Entry>, Vec<Entry>) = std::mem::take(&mut self.unbondings)
            .into_iter()
            .partition(|entry| entry.completes_at <= now);
        self.unbondings = waiting;
        for entry in done {
            self.hub_balance += entry.amount;
        }
        self.redelegations.retain(|entry| entry.completes_at > now);
    }

    /// Slashes `permille` of the hub's delegation to `validator`; returns what was cut.
    pub fn slash(&mut self, validator: &str, permille: u16) -> u128 {
        let delegated = self.delegation(validator);
        let cut = mul_permille(delegated, permille);
        if cut > 0 {
            self.delegations
                .insert(validator.to_string(), delegated - cut);
        }
        cut
    }

    /// Slashes `permille` of every unbonding entry.
    pub fn slash_unbonding(&mut self, permille: u16) {
        for entry in &mut self.unbondings {
            entry.amount -= mul_permille(entry.amount, permille);
        }
    }

    /// Rewards accrue on a delegation; nothing accrues without one, nor beyond what the
    /// chain can hold.
    pub fn accrue(&mut self, validator: &str, amount: u128) {
        if self.delegation(validator) == 0 || !self.has_room(amount) {
            return;
        }
        *self.rewards.entry(validator.to_string()).or_default() += amount;
    }
}

/// `amount * permille / 1000`, rounded down, for `permille` up to 1000.
fn mul_permille(amount: u128, permille: u16) -> u128 {
    let permille = u128::from(permille.min(1000));
    amount / 1000 * permille + amount % 1000 * permille / 1000
}
