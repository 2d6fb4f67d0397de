//! A contract's storage as the VM backend sees it: a sorted map, iterators that walk it
//! lazily, and a journal of overwritten values so that a failed transaction is undone as a
//! chain undoes it.
//!
//! Gas is charged as cosmwasm-vm's own testing storage charges it (per byte of key and value,
//! a flat cost to open a range and to end it), so that the figures of this harness compare
//! with any other measurement on the cosmwasm-vm testing backend.

use std::collections::BTreeMap;
use std::ops::Bound;

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Storage};

/// Opening a range.
const GAS_OPEN_RANGE: u64 = 11;
/// The step that finds a range exhausted.
const GAS_RANGE_END: u64 = 37;

/// A range being walked. It remembers the last key returned and asks the map for the next
/// one, so opening a range over many keys costs nothing until they are read.
#[derive(Debug)]
struct Walk {
    start: Option<Vec<u8>>,
    end: Option<Vec<u8>>,
    order: Order,
    last: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
pub struct ContractStorage {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    /// For each write since the last commit, oldest first: the key and its previous value.
    journal: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    walks: Vec<Walk>,
}

impl ContractStorage {
    /// A mark to which [`Self::rollback`] returns.
    pub fn checkpoint(&self) -> usize {
        self.journal.len()
    }

    /// Undoes every write made after `checkpoint`.
    pub fn rollback(&mut self, checkpoint: usize) {
        while self.journal.len() > checkpoint {
            let (key, previous) = self.journal.pop().expect("longer than the checkpoint");
            match previous {
                Some(value) => self.data.insert(key, value),
                None => self.data.remove(&key),
            };
        }
    }

    /// Forgets the journal: the writes so far can no longer be undone.
    pub fn commit(&mut self) {
        self.journal.clear();
    }

    /// Iterators live for one call only.
    pub fn end_call(&mut self) {
        self.walks.clear();
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn raw_get(&self, key: &[u8]) -> Option<&[u8]> {
        self.data.get(key).map(Vec::as_slice)
    }

    fn step(&self, walk: &Walk) -> Option<Record> {
        let exclusive = |key: &Option<Vec<u8>>| match key {
            Some(k) => Bound::Excluded(k.clone()),
            None => Bound::Unbounded,
        };
        let inclusive = |key: &Option<Vec<u8>>| match key {
            Some(k) => Bound::Included(k.clone()),
            None => Bound::Unbounded,
        };
        let (lower, upper) = match walk.order {
            Order::Ascending => {
                let lower = match &walk.last {
                    Some(last) => Bound::Excluded(last.clone()),
                    None => inclusive(&walk.start),
                };
                (lower, exclusive(&walk.end))
            }
            Order::Descending => {
                let upper = match &walk.last {
                    Some(last) => Bound::Excluded(last.clone()),
                    None => exclusive(&walk.end),
                };
                (inclusive(&walk.start), upper)
            }
        };
        if is_empty_range(&lower, &upper) {
            return None;
        }
        let mut range = self.data.range((lower, upper));
        let found = match walk.order {
            Order::Ascending => range.next(),
            Order::Descending => range.next_back(),
        };
        found.map(|(k, v)| (k.clone(), v.clone()))
    }

    fn record_write(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        let previous = match value {
            Some(value) => self.data.insert(key.to_vec(), value),
            None => self.data.remove(key),
        };
        self.journal.push((key.to_vec(), previous));
    }
}

/// Whether the bounds describe no key at all (the map panics on a range whose start lies
/// after its end).
fn is_empty_range(lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> bool {
    match (lower, upper) {
        (Bound::Included(l), Bound::Included(u)) => l > u,
        (Bound::Included(l), Bound::Excluded(u))
        | (Bound::Excluded(l), Bound::Included(u))
        | (Bound::Excluded(l), Bound::Excluded(u)) => l >= u,
        _ => false,
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let gas = GasInfo::with_externally_used(key.len() as u64);
        (Ok(self.data.get(key).cloned()), gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        self.walks.push(Walk {
            start: start.map(<[u8]>::to_vec),
            end: end.map(<[u8]>::to_vec),
            order,
            last: None,
        });
        let id = u32::try_from(self.walks.len()).expect("fewer than 2^32 iterators per call");
        (Ok(id), GasInfo::with_externally_used(GAS_OPEN_RANGE))
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let index = (iterator_id as usize).wrapping_sub(1);
        let Some(walk) = self.walks.get(index) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        match self.step(walk) {
            Some(record) => {
                let gas = GasInfo::with_cost((record.0.len() + record.1.len()) as u64);
                self.walks[index].last = Some(record.0.clone());
                (Ok(Some(record)), gas)
            }
            None => (Ok(None), GasInfo::with_externally_used(GAS_RANGE_END)),
        }
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let gas = GasInfo::with_externally_used((key.len() + value.len()) as u64);
        self.record_write(key, Some(value.to_vec()));
        (Ok(()), gas)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let gas = GasInfo::with_externally_used(key.len() as u64);
        self.record_write(key, None);
        (Ok(()), gas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage_with(keys: &[&[u8]]) -> ContractStorage {
        let mut storage = ContractStorage::default();
        for key in keys {
            storage.set(key, b"v").0.unwrap();
        }
        storage.commit();
        storage
    }

    fn walk_all(storage: &mut ContractStorage, id: u32) -> Vec<Vec<u8>> {
        let mut keys = vec![];
        while let (Ok(Some((key, _))), _) = storage.next(id) {
            keys.push(key);
        }
        keys
    }

    #[test]
    fn ranges_walk_both_ways_within_bounds() {
        let mut storage = storage_with(&[b"a", b"b", b"c", b"d"]);
        let id = storage
            .scan(Some(b"b"), Some(b"d"), Order::Ascending)
            .0
            .unwrap();
        assert_eq!(
            walk_all(&mut storage, id),
            vec![b"b".to_vec(), b"c".to_vec()]
        );
        let id = storage.scan(Some(b"b"), None, Order::Descending).0.unwrap();
        assert_eq!(
            walk_all(&mut storage, id),
            vec![b"d".to_vec(), b"c".to_vec(), b"b".to_vec()]
        );
        let id = storage
            .scan(Some(b"c"), Some(b"b"), Order::Ascending)
            .0
            .unwrap();
        assert!(walk_all(&mut storage, id).is_empty());
        let id = storage
            .scan(Some(b"c"), Some(b"c"), Order::Descending)
            .0
            .unwrap();
        assert!(walk_all(&mut storage, id).is_empty());
    }

    #[test]
    fn rollback_restores_overwritten_and_removed_keys() {
        let mut storage = storage_with(&[b"a", b"b"]);
        let mark = storage.checkpoint();
        storage.set(b"a", b"changed").0.unwrap();
        storage.remove(b"b").0.unwrap();
        storage.set(b"c", b"new").0.unwrap();
        storage.rollback(mark);
        assert_eq!(storage.raw_get(b"a"), Some(&b"v"[..]));
        assert_eq!(storage.raw_get(b"b"), Some(&b"v"[..]));
        assert_eq!(storage.raw_get(b"c"), None);
    }
}
