//! The README shows what the default run prints; this run must print exactly that, so that a
//! change of the protocol or the simulation cannot leave the documented sample behind.

use flowstake_simulate::{ScenarioConfig, Simulation};

#[test]
fn the_readme_sample_is_what_the_default_run_prints() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let marker = "The default run ends with (seed 42):\n\n```\n";
    let start = readme.find(marker).expect("the sample's heading") + marker.len();
    let documented = &readme[start..start + readme[start..].find("```").expect("its end")];

    let mut simulation = Simulation::new(ScenarioConfig::default()).expect("the default scenario");
    let report = simulation.run(&mut |_| {});
    let printed = report.summary.table();
    assert_eq!(
        documented.trim_end(),
        printed.trim_end(),
        "README's sample differs from the default run: regenerate it with \
         `cargo run --release --bin simulate`"
    );
}
