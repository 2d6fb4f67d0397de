//! Addresses of the modelled chain, in the formats of a real one: bech32 with the checksum, the
//! prefix of Injective, and the lengths its addresses have, so that every address a contract
//! stores, compares, sends or receives in a query answer is as long as on the chain.
//!
//! - accounts (users, the owner, the fee receiver): 20 bytes, `inj1` + 38 characters (42);
//! - contracts: 32 bytes, `inj1` + 58 characters (62), derived from the code id and the
//!   instance sequence as wasmd's classic `BuildContractAddressClassic` derives them;
//! - validators: 20 bytes, `injvaloper1` + 38 characters (49).
//!
//! The VM's api (cosmwasm-vm's `MockApi` with the prefix [`PREFIX`]) accepts the accounts and
//! contracts and refuses anything else: a wrong prefix, a bad checksum, a name that is not
//! bech32.

use bech32::{Bech32, Hrp};
use sha2::{Digest, Sha256};

/// The chain's account prefix.
pub const PREFIX: &str = "inj";
/// The chain's validator operator prefix.
pub const VALOPER_PREFIX: &str = "injvaloper";
/// Bytes of an account or validator operator address.
pub const ACCOUNT_BYTES: usize = 20;
/// Bytes of a contract address.
pub const CONTRACT_BYTES: usize = 32;

/// The bech32 data characters in ASCII order, to make addresses that sort like their index.
const SORTED_CHARSET: &[u8; 32] = b"023456789acdefghjklmnpqrstuvwxyz";
/// The bech32 data characters by their 5-bit value.
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn encode(prefix: &str, bytes: &[u8]) -> String {
    let hrp = Hrp::parse(prefix).expect("the prefix is a valid human-readable part");
    bech32::encode::<Bech32>(hrp, bytes).expect("the address encodes")
}

/// The account address of `name`: the first 20 bytes of its SHA-256, as a key's address is
/// 20 bytes of a hash of the public key.
pub fn account(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    encode(PREFIX, &digest[..ACCOUNT_BYTES])
}

/// The address wasmd gives the `instance`-th contract (a sequence over all codes, from 1)
/// instantiated from code `code_id`: the module address of `wasm` keyed by both, big-endian.
pub fn contract(code_id: u64, instance: u64) -> String {
    let mut key = b"wasm\0".to_vec();
    key.extend_from_slice(&code_id.to_be_bytes());
    key.extend_from_slice(&instance.to_be_bytes());
    let typ = Sha256::digest(b"module");
    let mut hasher = Sha256::new();
    hasher.update(typ);
    hasher.update(&key);
    encode(PREFIX, &hasher.finalize())
}

/// The operator address of validator `index` (below 1,024). Its first two data characters
/// spell the index in bech32 characters of ASCII order and the rest come from a hash, so
/// that validators sort by index in address order, as the chain lists them, while the
/// address has the chain's length and a valid checksum.
pub fn validator(index: usize) -> String {
    assert!(index < 1024, "validator index {index} is below 1,024");
    let digest = Sha256::digest(format!("validator{index}").as_bytes());
    // 20 bytes are 32 five-bit groups.
    let mut groups = [0u8; 32];
    let value = |rank: usize| -> u8 {
        let char = SORTED_CHARSET[rank];
        CHARSET
            .iter()
            .position(|&c| c == char)
            .expect("the sorted charset holds the same characters") as u8
    };
    groups[0] = value(index / 32);
    groups[1] = value(index % 32);
    for (group, byte) in groups[2..].iter_mut().zip(digest.iter()) {
        *group = byte & 31;
    }
    encode(VALOPER_PREFIX, &pack(&groups))
}

/// 32 five-bit groups as 20 bytes, most significant bit first.
fn pack(groups: &[u8; 32]) -> [u8; ACCOUNT_BYTES] {
    let mut bytes = [0u8; ACCOUNT_BYTES];
    for (index, &group) in groups.iter().enumerate() {
        for bit in 0..5 {
            if group & (0x10 >> bit) != 0 {
                let position = index * 5 + bit;
                bytes[position / 8] |= 0x80 >> (position % 8);
            }
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use bech32::primitives::decode::CheckedHrpstring;

    fn decode(address: &str) -> (String, Vec<u8>) {
        let checked = CheckedHrpstring::new::<Bech32>(address).expect("valid bech32");
        (checked.hrp().to_string(), checked.byte_iter().collect())
    }

    #[test]
    fn addresses_have_the_chains_lengths_and_checksums() {
        let user = account("alice");
        assert_eq!(user.len(), 42);
        assert!(user.starts_with("inj1"));
        let (hrp, bytes) = decode(&user);
        assert_eq!(hrp, "inj");
        assert_eq!(bytes.len(), ACCOUNT_BYTES);

        let hub = contract(1, 1);
        assert_eq!(hub.len(), 62);
        assert_eq!(decode(&hub).1.len(), CONTRACT_BYTES);
        assert_ne!(contract(1, 1), contract(1, 2));
        assert_ne!(contract(1, 2), contract(2, 2));

        let valoper = validator(7);
        assert_eq!(valoper.len(), 49);
        assert!(valoper.starts_with("injvaloper1"));
        let (hrp, bytes) = decode(&valoper);
        assert_eq!(hrp, "injvaloper");
        assert_eq!(bytes.len(), ACCOUNT_BYTES);
    }

    #[test]
    fn wasmd_derives_the_same_contract_address() {
        // The first contract (code 1, instance 1) of a wasmd chain, with wasmd's own prefix:
        // the same 32 bytes under another prefix.
        let wasmd = "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d";
        assert_eq!(decode(&contract(1, 1)).1, decode(wasmd).1);
    }

    #[test]
    fn validators_sort_by_index_and_differ() {
        let addresses: Vec<String> = (0..1024).map(validator).collect();
        let mut sorted = addresses.clone();
        sorted.sort();
        assert_eq!(sorted, addresses);
        sorted.dedup();
        assert_eq!(sorted.len(), 1024);
    }
}
