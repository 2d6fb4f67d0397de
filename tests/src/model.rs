//! Reference arithmetic for the scenario tests.
//!
//! The figures a test expects are computed here from the rules stated in the design (mint and
//! pay out rounding down, fee on rewards rounding down, a shortfall spread pro rata), written
//! independently of the hub's code, so that a test fails when the hub computes something else.

/// `floor(amount * numerator / denominator)` without intermediate overflow for the amounts the
/// tests use (all well below 2^64).
pub fn mul_div_floor(amount: u128, numerator: u128, denominator: u128) -> u128 {
    assert!(denominator > 0, "division by zero in the test model");
    amount
        .checked_mul(numerator)
        .expect("model overflow: use smaller amounts")
        / denominator
}

/// The hub's books as the design defines them: the native it has delegated and the derivative
/// it has issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateModel {
    pub total_native: u128,
    pub total_shares: u128,
}

impl RateModel {
    /// The state right after instantiation: the seed is delegated and minted 1:1 as dead shares.
    pub fn seeded(seed: u128) -> Self {
        Self {
            total_native: seed,
            total_shares: seed,
        }
    }

    /// Shares a bond of `native` mints: `floor(native * total_shares / total_native)`.
    pub fn preview_bond(&self, native: u128) -> u128 {
        mul_div_floor(native, self.total_shares, self.total_native)
    }

    /// Native `shares` convert to at submission: `floor(shares * total_native / total_shares)`.
    pub fn preview_unbond(&self, shares: u128) -> u128 {
        mul_div_floor(shares, self.total_native, self.total_shares)
    }

    /// Books a bond and returns the shares minted.
    pub fn bond(&mut self, native: u128) -> u128 {
        let shares = self.preview_bond(native);
        self.total_native += native;
        self.total_shares += shares;
        shares
    }

    /// Books harvested rewards and returns the fee: `floor(rewards * fee_percent / 100)`; the
    /// rest is re-staked.
    pub fn harvest(&mut self, rewards: u128, fee_percent: u128) -> u128 {
        let fee = mul_div_floor(rewards, fee_percent, 100);
        self.total_native += rewards - fee;
        fee
    }

    /// Books a batch submission of `shares` and returns the native expected from the chain.
    pub fn submit(&mut self, shares: u128) -> u128 {
        let native = self.preview_unbond(shares);
        self.total_native -= native;
        self.total_shares -= shares;
        native
    }

    /// Books a slash of bonded stake.
    pub fn slash(&mut self, native_lost: u128) {
        self.total_native -= native_lost;
    }
}

/// What one request of `request_shares` in a reconciled batch is paid:
/// `floor(native_received * request_shares / batch_shares)`.
pub fn claim(native_received: u128, request_shares: u128, batch_shares: u128) -> u128 {
    mul_div_floor(native_received, request_shares, batch_shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_rounds_every_conversion_down() {
        let mut model = RateModel {
            total_native: 10,
            total_shares: 3,
        };
        // 7 * 3 / 10 = 2.1
        assert_eq!(model.bond(7), 2);
        assert_eq!(model.total_native, 17);
        assert_eq!(model.total_shares, 5);
        // 3 * 17 / 5 = 10.2
        assert_eq!(model.submit(3), 10);
        assert_eq!(model.harvest(99, 5), 4);
        assert_eq!(model.total_native, 7 + 95);
        assert_eq!(claim(100, 1, 3), 33);
    }
}
