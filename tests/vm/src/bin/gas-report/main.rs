//! The gas report: plays every hub operation on the artifacts in the CosmWasm VM at 1 to 150
//! validators and with 1 to 10,000 holders, measures the floor contract beside them, and
//! writes `docs/gas.json` and `docs/gas.md`, with the real chain's figures of
//! `docs/gas-chain.json` beside the VM's when that file exists.
//!
//! ```text
//! gas-report [--out DIR]     write DIR/gas.json and DIR/gas.md (default: docs/)
//! gas-report --quick         validator counts only, printed, nothing written
//! ```
//!
//! Build the artifacts and the floor first: `scripts/gas-report.sh` does both and runs this.

mod chain_gas;
mod measure;
mod render;
mod targets;

use std::path::PathBuf;
use std::time::Instant;

use flowstake_vm_tests::artifacts;

use crate::measure::{HOLDER_COUNTS, VALIDATOR_COUNTS};
use crate::render::{Report, Sizes};

fn main() {
    let mut out_dir = artifacts::repo_root().join("docs");
    let mut quick = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out_dir = PathBuf::from(args.next().expect("--out takes a directory")),
            "--quick" => quick = true,
            other => {
                eprintln!("unknown argument {other}; usage: gas-report [--out DIR] [--quick]");
                std::process::exit(2);
            }
        }
    }
    let started = Instant::now();

    eprintln!("gas-report: floor");
    let (floor, floor_token) = measure::floor();
    eprintln!("gas-report: floor {floor} (its token's mint {floor_token})");
    let mut at_validators = vec![];
    for validators in VALIDATOR_COUNTS {
        eprintln!("gas-report: {validators} validators");
        at_validators.push(measure::at_validators(validators));
    }
    let mut at_holders = vec![];
    if !quick {
        for holders in HOLDER_COUNTS {
            eprintln!("gas-report: {holders} holders");
            at_holders.push(measure::at_holders(holders));
        }
    }
    let probes = measure::probes();
    let chain_file = artifacts::repo_root().join(chain_gas::CHAIN_GAS_FILE);
    let chain = chain_gas::ChainGas::read(&chain_file).unwrap_or_else(|err| panic!("{err}"));
    let report = Report {
        floor,
        floor_token,
        at_validators,
        at_holders,
        probes,
        chain,
        sizes: Sizes::read(),
        checksums: std::fs::read_to_string(artifacts::artifacts_dir().join("checksums.txt"))
            .unwrap_or_default(),
        build_info: std::fs::read_to_string(artifacts::artifacts_dir().join("build-info.txt"))
            .unwrap_or_default(),
    };
    eprintln!(
        "gas-report: measured in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    if quick {
        println!("floor {}\n", report.floor);
        println!("{}", render::validator_table(&report));
        println!("{}", render::side_table(&report));
        return;
    }
    std::fs::create_dir_all(&out_dir).expect("the output directory can be created");
    let json = render::json(&report);
    serde_json::from_str::<serde_json::Value>(&json).expect("gas.json is valid JSON");
    std::fs::write(out_dir.join("gas.json"), json).expect("gas.json is written");
    std::fs::write(out_dir.join("gas.md"), render::markdown(&report)).expect("gas.md is written");
    println!(
        "gas-report: wrote {} and {}",
        out_dir.join("gas.json").display(),
        out_dir.join("gas.md").display()
    );
    println!("{}", targets::summary(&report));
}
