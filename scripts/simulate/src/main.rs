//! `simulate`: runs the default scenario with no arguments; see `--help` for the flags.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use flowstake_simulate::cli::Args;
use flowstake_simulate::config::decimal_to_f64;
use flowstake_simulate::{write_outputs, Report, ScenarioConfig, Simulation};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Runs one scenario with a progress bar; `Err` is the exit code of a bad scenario.
fn run(config: ScenarioConfig, label: &str, quiet: bool) -> Result<Report, ExitCode> {
    let days = config.days;
    let mut simulation = Simulation::new(config).map_err(|err| {
        eprintln!("error: {err}");
        ExitCode::from(2)
    })?;
    let bar = ProgressBar::new(days + 1);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let template = format!("{{spinner}} {label}day {{pos}}/{{len}} [{{bar:40}}] {{elapsed_precise}} (eta {{eta}}) {{msg}}");
    let style = ProgressStyle::with_template(&template)
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let report = simulation.run(&mut |record| {
        bar.set_position(record.day + 1);
        bar.set_message(format!("rate {:.6}", decimal_to_f64(record.exchange_rate)));
    });
    bar.finish_and_clear();
    Ok(report)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    let config = args.scenario();
    let mut report = match run(config.clone(), "", args.quiet) {
        Ok(report) => report,
        Err(code) => return code,
    };
    let mut code = ExitCode::SUCCESS;
    // With a buffer, the same scenario again with every unit staked shows what liquidity
    // costs the holders.
    if !config.buffer_target.is_zero() && report.halt.is_none() {
        match run(config.without_buffer(), "without the buffer: ", args.quiet) {
            Ok(baseline) => {
                if let Some(halt) = &baseline.halt {
                    eprintln!("the run without the buffer stopped early: {halt}");
                    code = ExitCode::FAILURE;
                }
                let summary = &baseline.summary;
                report.summary.without_buffer = Some((summary.realised_apr, summary.realised_apy));
            }
            Err(code) => return code,
        }
    }

    println!("{}", report.summary.table());
    match write_outputs(&report, &args.out) {
        Ok(paths) => {
            for path in paths {
                println!("wrote {}", path.display());
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            code = ExitCode::FAILURE;
        }
    }
    if let Some(halt) = &report.halt {
        eprintln!("simulation stopped early: {halt}");
        code = ExitCode::FAILURE;
    }
    println!("finished in {:.1} s", started.elapsed().as_secs_f64());
    code
}
