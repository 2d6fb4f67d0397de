//! The real chain's figures (`docs/gas-chain.json`: whole-transaction `gas_used` on a node at
//! several set sizes) rendered beside the VM's, as the section "On a real chain" of `gas.md`.

use std::fmt::Write;
use std::path::Path;

use serde::Deserialize;

/// Where the chain's figures are kept, from the repository's root.
pub const CHAIN_GAS_FILE: &str = "docs/gas-chain.json";
/// Prefix of the chain's own messages, measured for comparison (no VM figure).
const CHAIN_OWN: &str = "chain:";

#[derive(Clone, Debug, Deserialize)]
pub struct ChainGas {
    pub node: String,
    pub command: String,
    pub commit: String,
    pub block_max_gas: Option<u64>,
    pub sizes: Vec<ChainSize>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ChainSize {
    pub validators: usize,
    pub ops: Vec<ChainOp>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ChainOp {
    pub op: String,
    pub gas_used: u64,
    pub gas_wanted: u64,
    pub fits: bool,
    #[serde(default = "one")]
    pub calls: u64,
    #[serde(default)]
    pub note: String,
}

fn one() -> u64 {
    1
}

impl ChainGas {
    pub fn parse(text: &str) -> Result<ChainGas, String> {
        serde_json::from_str(text).map_err(|err| format!("{CHAIN_GAS_FILE} does not parse: {err}"))
    }

    /// The file at `path`: `None` when there is none, an error when it does not parse.
    pub fn read(path: &Path) -> Result<Option<ChainGas>, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => ChainGas::parse(&text).map(Some),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(format!("{} cannot be read: {err}", path.display())),
        }
    }

    /// Operations in the order the file first names them.
    fn operations(&self) -> Vec<&str> {
        let mut names: Vec<&str> = vec![];
        for size in &self.sizes {
            for op in &size.ops {
                if !names.contains(&op.op.as_str()) {
                    names.push(&op.op);
                }
            }
        }
        names
    }

    fn get(&self, validators: usize, op: &str) -> Option<&ChainOp> {
        self.sizes
            .iter()
            .find(|s| s.validators == validators)?
            .ops
            .iter()
            .find(|o| o.op == op)
    }
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The section "On a real chain". `vm` gives the VM's gas (all hub calls) of an operation at a
/// validator count, where the report measured it.
pub fn section(chain: Option<&ChainGas>, vm: &dyn Fn(&str, usize) -> Option<u64>) -> String {
    let mut out = String::from("## On a real chain\n\n");
    let Some(chain) = chain else {
        let _ = writeln!(
            out,
            "No real chain's figures: `{CHAIN_GAS_FILE}` does not exist, so this report has the \
             VM's figures only.\n"
        );
        return out;
    };
    let limit = match chain.block_max_gas {
        Some(limit) => format!("**{}** gas", thousands(limit)),
        None => "none (the chain sets no block gas limit)".to_string(),
    };
    let _ = write!(
        out,
        "Whole-transaction `gas_used` on a node ({}), from `{CHAIN_GAS_FILE}`, produced by `{}` \
         at commit `{}`. The chain's gas is the SDK's: storage reads and writes by the byte, \
         the transaction's size and signature, plus the VM's gas divided by the chain's \
         multiplier (wasmd's default: 140,000 VM gas per SDK gas). Beside it, this report's VM \
         figure (all hub calls, in VM gas) for the same operation and validator count, where \
         the report measures that count. The chain's figures are of the contracts at that \
         commit, the VM's of the artifacts above: when the contracts changed between the two, \
         they differ for that reason too. An operation named differently on the chain has no \
         VM figure beside it. Rows `chain:` are the chain's own messages, each in a \
         transaction of its own, for comparison.\n\n\
         Block gas limit: {limit}. A transaction that does not fit is marked **over**; an \
         operation that took more than one call says how many.\n\n",
        chain.node, chain.command, chain.commit
    );
    let counts: Vec<usize> = chain.sizes.iter().map(|s| s.validators).collect();
    out.push_str("| operation |");
    for n in &counts {
        let _ = write!(out, " {n} validators: chain | VM |");
    }
    out.push_str("\n| --- |");
    out.push_str(&" ---: | ---: |".repeat(counts.len()));
    out.push('\n');
    let mut over: Vec<String> = vec![];
    let mut notes: Vec<String> = vec![];
    for name in chain.operations() {
        let _ = write!(out, "| {name} |");
        for &n in &counts {
            match chain.get(n, name) {
                Some(op) => {
                    let mut cell = thousands(op.gas_used);
                    if op.calls > 1 {
                        let _ = write!(cell, " ({} calls)", op.calls);
                    }
                    if !op.fits {
                        cell.push_str(" **over**");
                        over.push(format!(
                            "{name} at {n} validators ({} gas wanted)",
                            thousands(op.gas_wanted)
                        ));
                    }
                    if !op.note.is_empty() {
                        notes.push(format!("{name} at {n} validators: {}", op.note));
                    }
                    let _ = write!(out, " {cell} |");
                }
                None => out.push_str(" — |"),
            }
            let vm_cell = if name.starts_with(CHAIN_OWN) {
                "—".to_string()
            } else {
                vm(name, n).map_or("—".to_string(), |gas| {
                    format!("{:.1} M", gas as f64 / 1e6)
                })
            };
            let _ = write!(out, " {vm_cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
    if over.is_empty() {
        out.push_str("Every operation fits the block at every size measured.\n");
    } else {
        let _ = writeln!(out, "Do not fit the block: {}.", over.join("; "));
    }
    if !notes.is_empty() {
        out.push_str("\nNotes from the run:\n\n");
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("chain_gas_fixture.json");

    fn vm(op: &str, validators: usize) -> Option<u64> {
        match (op, validators) {
            ("bond", 1) => Some(94_000_000),
            ("bond", 150) => Some(95_500_000),
            ("harvest", 150) => Some(3_192_000_000),
            _ => None,
        }
    }

    #[test]
    fn the_chains_figures_stand_beside_the_vms() {
        let chain = ChainGas::parse(FIXTURE).unwrap();
        let text = section(Some(&chain), &vm);

        assert!(text.starts_with("## On a real chain\n"));
        assert!(text.contains("injectived 1.20.1"), "{text}");
        assert!(text.contains("`scripts/chain-gas.sh`"), "{text}");
        assert!(text.contains("`0123abc`"), "{text}");
        assert!(
            text.contains("Block gas limit: **10,000,000** gas"),
            "{text}"
        );
        let header = "| operation | 1 validators: chain | VM | 150 validators: chain | VM |";
        assert!(text.contains(header), "{text}");
        assert!(
            text.contains("| bond | 403,175 | 94.0 M | 417,403 | 95.5 M |"),
            "{text}"
        );
        // Over the block limit: flagged in its cell and listed; more than one call: counted.
        assert!(
            text.contains("| harvest | 1,000,000 | — | 12,445,504 **over** | 3192.0 M |"),
            "{text}"
        );
        assert!(
            text.contains(
                "Do not fit the block: harvest at 150 validators (13,000,000 gas wanted)."
            ),
            "{text}"
        );
        assert!(
            text.contains("| submit_batch | — | — | 4,000,000 (3 calls) | — |"),
            "{text}"
        );
        // The chain's own messages have no VM figure.
        assert!(
            text.contains("| chain:MsgDelegate | 165,303 | — | 165,303 | — |"),
            "{text}"
        );
        assert!(text.contains("- submit_batch at 150 validators: three transactions"));
    }

    #[test]
    fn no_block_limit_and_no_file_are_said() {
        let mut chain = ChainGas::parse(FIXTURE).unwrap();
        chain.block_max_gas = None;
        for size in &mut chain.sizes {
            for op in &mut size.ops {
                op.fits = true;
            }
        }
        let text = section(Some(&chain), &vm);
        assert!(text.contains("Block gas limit: none"), "{text}");
        assert!(text.contains("Every operation fits the block"), "{text}");
        assert!(!text.contains("**over** |"), "{text}");

        let absent = section(None, &vm);
        assert_eq!(absent.trim_end().lines().count(), 3, "{absent}");
        assert!(absent.contains("does not exist"), "{absent}");
    }

    #[test]
    fn a_file_of_another_shape_is_an_error() {
        let error = ChainGas::parse(r#"{"node": "x", "sizes": []}"#).unwrap_err();
        assert!(error.contains("does not parse"), "{error}");
        let missing = ChainGas::read(Path::new("/nonexistent/gas-chain.json")).unwrap();
        assert!(missing.is_none());
    }
}
