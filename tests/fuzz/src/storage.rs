//! A contract store that can be copied, so that a call the chain would revert can be undone:
//! on a chain a failed transaction leaves no write behind, whatever the contract wrote before
//! it failed.

use std::collections::BTreeMap;
use std::ops::Bound;

use cosmwasm_std::{Order, Record, Storage};

#[derive(Clone, Debug, Default)]
pub struct TxStorage {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Storage for TxStorage {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.data.get(key).cloned()
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        if let (Some(start), Some(end)) = (start, end) {
            if start >= end {
                return Box::new(std::iter::empty());
            }
        }
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let records = self
            .data
            .range((lower, upper))
            .map(|(key, value)| (key.clone(), value.clone()));
        match order {
            Order::Ascending => Box::new(records),
            Order::Descending => Box::new(records.rev()),
        }
    }

    /// An empty value cannot be told apart from a missing key on a chain; the VM's own mock
    /// store refuses it, and so does this one.
    fn set(&mut self, key: &[u8], value: &[u8]) {
        assert!(
            !value.is_empty(),
            "the contract stored an empty value under {key:?}"
        );
        self.data.insert(key.to_vec(), value.to_vec());
    }

    fn remove(&mut self, key: &[u8]) {
        self.data.remove(key);
    }
}
