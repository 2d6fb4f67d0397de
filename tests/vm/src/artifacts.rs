//! Where the compiled contracts are. `scripts/build-wasm.sh` writes them; the environment can
//! point elsewhere (`FLOWSTAKE_ARTIFACTS` for the directory of the three contracts,
//! `FLOWSTAKE_FLOOR_WASM` for the floor).

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("FLOWSTAKE_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("artifacts"))
}

/// `artifacts/flowstake_<name>.wasm`.
pub fn contract_path(name: &str) -> PathBuf {
    artifacts_dir().join(format!("flowstake_{name}.wasm"))
}

pub fn floor_path() -> PathBuf {
    std::env::var_os("FLOWSTAKE_FLOOR_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/vm/target/floor/flowstake_vm_floor.wasm"))
}

/// Reads a wasm file, or stops with the command that builds it.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|err| {
        panic!(
            "cannot read {}: {err}; build it with scripts/build-wasm.sh --floor",
            path.display()
        )
    })
}
