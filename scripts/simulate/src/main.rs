//! `simulate`: runs the default scenario with no arguments; see `--help` for the flags.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use flowstake_simulate::cli::Args;
use flowstake_simulate::config::decimal_to_f64;
use flowstake_simulate::{write_outputs, Simulation};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    let config = args.scenario();
    let days = config.days;
    let mut simulation = match Simulation::new(config) {
        Ok(simulation) => simulation,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };

    let bar = ProgressBar::new(days + 1);
    if args.quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template(
        "{spinner} day {pos}/{len} [{bar:40}] {elapsed_precise} (eta {eta}) {msg}",
    )
    .map(|style| style.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let report = simulation.run(&mut |record| {
        bar.set_position(record.day + 1);
        bar.set_message(format!("rate {:.6}", decimal_to_f64(record.exchange_rate)));
    });
    bar.finish_and_clear();

    println!("{}", report.summary.table());
    let mut code = ExitCode::SUCCESS;
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
