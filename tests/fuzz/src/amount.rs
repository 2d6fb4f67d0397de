//! Numbers drawn from fuzz bytes with a bias towards the values that break arithmetic: zero,
//! dust, everyday sizes, powers of two and the top of the range.

use arbitrary::Arbitrary;

/// A `u128` drawn from one of several ranges.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Amount {
    Zero,
    One,
    Small(u8),
    Medium(u32),
    Large(u64),
    Full(u128),
    /// `2^n` for `n` below 128, give or take one.
    PowerOfTwo(u8, i8),
    /// `u128::MAX - n`.
    NearMax(u16),
}

impl Amount {
    pub fn value(self) -> u128 {
        match self {
            Amount::Zero => 0,
            Amount::One => 1,
            Amount::Small(n) => u128::from(n),
            Amount::Medium(n) => u128::from(n),
            Amount::Large(n) => u128::from(n),
            Amount::Full(n) => n,
            Amount::PowerOfTwo(exponent, offset) => {
                let base = 1u128 << (exponent % 128);
                base.saturating_add_signed(i128::from(offset.signum()))
            }
            Amount::NearMax(n) => u128::MAX - u128::from(n),
        }
    }
}

/// A `u128` that stays in the range a live hub sees: up to `10^24`, so that sums of a few of
/// them never overflow and the accounting paths, not the overflow errors, get exercised.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Native {
    Dust(u8),
    Everyday(u32),
    Whale(u64),
    /// Up to `10^24`.
    Huge(u128),
    /// Any amount, overflow included.
    Any(Amount),
}

/// The largest [`Native::Huge`] amount.
pub const HUGE: u128 = 1_000_000_000_000_000_000_000_000;

impl Native {
    pub fn value(self) -> u128 {
        match self {
            Native::Dust(n) => u128::from(n),
            Native::Everyday(n) => u128::from(n),
            Native::Whale(n) => u128::from(n),
            Native::Huge(n) => n % (HUGE + 1),
            Native::Any(amount) => amount.value(),
        }
    }
}
