//! Handlers, one module per message family.

pub mod admin;
pub mod bond;
pub mod harvest;
pub mod instant;
pub mod setup;
pub mod unbond;
pub mod validators;
pub mod withdraw;
