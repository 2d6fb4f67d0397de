//! `flowstake`: deploy and operate the hub on any chain. Chain settings come from a chain file
//! (`--chain`), the signing mnemonic from `FLOWSTAKE_MNEMONIC`, the deployment from the file
//! `deploy` writes (`--deployment`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use flowstake::hub::ExecuteMsg;
use flowstake_operator::client::{Chain, Signer};
use flowstake_operator::config::{ChainFile, Deployment, MNEMONIC_VAR};
use flowstake_operator::error::{OperatorError, Result};
use flowstake_operator::keeper::{self, describe, KeeperConfig};
use flowstake_operator::ops::{self, DeployParams};

#[derive(Parser)]
#[command(name = "flowstake", about = "Deploy and operate the Flowstake hub")]
struct Cli {
    /// The chain file (TOML): endpoint, chain id, prefix, denoms, gas price.
    #[arg(
        long,
        global = true,
        default_value = "packages/operator/chains/localnet.toml"
    )]
    chain: PathBuf,
    /// The deployment file `deploy` writes and the other commands read.
    #[arg(long, global = true, default_value = "flowstake-deployment.json")]
    deployment: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The signer's address and balances.
    Address,
    /// Store the three codes, instantiate the hub, write the deployment file.
    Deploy(Box<DeployParams>),
    /// Rate, backing, queue, open batches, cranks due, paused operations.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Bond native tokens.
    Bond {
        amount: u128,
        #[arg(long)]
        receiver: Option<String>,
        /// Refuse the bond if it would mint fewer shares.
        #[arg(long)]
        min_shares: Option<u128>,
        /// Deliver the minted derivative to this contract through the cw20 `Send` hook (a
        /// lending market, a vault), on behalf of the signer.
        #[arg(long, requires = "forward_msg")]
        forward_contract: Option<String>,
        /// The hook's message, as JSON, e.g. '{"deposit_collateral":{}}'.
        #[arg(long, requires = "forward_contract")]
        forward_msg: Option<String>,
    },
    /// Queue derivative for unbonding.
    Unbond {
        shares: u128,
    },
    /// Exit at once from the liquidity buffer, for the exit fee.
    Exit {
        shares: u128,
        /// Refuse the exit if it would pay less native.
        #[arg(long)]
        min_native: Option<u128>,
    },
    /// Withdraw what reconciled batches owe the signer.
    Withdraw {
        #[arg(long)]
        limit: Option<u32>,
    },
    Harvest,
    /// Submit the pending batch.
    Submit,
    Reconcile {
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Store a new hub code and migrate the hub to it.
    Migrate {
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
    },
    /// Run each crank when it is due, until SIGINT or SIGTERM.
    Keeper {
        /// Seconds between two looks at the hub.
        #[arg(long, default_value = "5")]
        interval: u64,
        /// Harvest once this many seconds passed since the hub's last sync.
        #[arg(long, default_value = "86400")]
        harvest_every: u64,
    },
}

fn signer(chain: &ChainFile) -> Result<Signer> {
    let phrase = std::env::var(MNEMONIC_VAR).map_err(|_| OperatorError::NoMnemonic {
        name: MNEMONIC_VAR.to_string(),
    })?;
    Signer::from_mnemonic(&phrase, &chain.prefix, chain.coin_type)
}

fn say(line: &str) {
    println!("{line}");
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run(cli: Cli) -> Result<()> {
    let file = ChainFile::load(&cli.chain)?;
    let chain = Chain::connect(file.clone()).await?;
    let deployment = || Deployment::load(&cli.deployment);
    match cli.command {
        Command::Address => {
            let signer = signer(&file)?;
            let address = signer.address.to_string();
            say(&address);
            for denom in [&file.staking_denom, &file.fee_denom] {
                say(&format!(
                    "  {}{denom}",
                    chain.balance(&address, denom).await?
                ));
            }
        }
        Command::Deploy(params) => {
            let signer = signer(&file)?;
            let deployed = ops::deploy(&chain, &signer, &params, &mut say).await?;
            deployed.save(&cli.deployment)?;
            say(&format!("wrote {}", cli.deployment.display()));
        }
        Command::Status { json } => {
            let status = ops::status(&chain, &deployment()?).await?;
            if json {
                say(&serde_json::to_string_pretty(&status).expect("status serialises"));
            } else {
                print_status(&status);
            }
        }
        Command::Bond {
            amount,
            receiver,
            min_shares,
            forward_contract,
            forward_msg,
        } => {
            let forward = match (forward_contract, forward_msg) {
                (Some(contract), Some(msg)) => Some(ops::forward(contract, &msg)?),
                _ => None,
            };
            let signer = signer(&file)?;
            let msg = ExecuteMsg::Bond {
                receiver,
                min_shares: min_shares.map(Into::into),
                forward,
            };
            let outcome = ops::execute(&chain, &signer, &deployment()?, &msg, amount).await?;
            say(&describe("bond", &outcome));
        }
        Command::Unbond { shares } => {
            let signer = signer(&file)?;
            let outcome = ops::unbond(&chain, &signer, &deployment()?, shares).await?;
            say(&describe("unbond", &outcome));
        }
        Command::Exit { shares, min_native } => {
            let signer = signer(&file)?;
            let outcome =
                ops::instant_unbond(&chain, &signer, &deployment()?, shares, min_native).await?;
            say(&describe("exit", &outcome));
        }
        Command::Withdraw { limit } => {
            let signer = signer(&file)?;
            let msg = ExecuteMsg::WithdrawUnbonded {
                receiver: None,
                limit,
            };
            let outcome = ops::execute(&chain, &signer, &deployment()?, &msg, 0).await?;
            say(&describe("withdraw", &outcome));
        }
        Command::Harvest | Command::Submit | Command::Reconcile { .. } => {
            let (name, msg) = match cli.command {
                Command::Harvest => ("harvest", ExecuteMsg::Harvest {}),
                Command::Submit => ("submit", ExecuteMsg::SubmitBatch {}),
                Command::Reconcile { limit } => ("reconcile", ExecuteMsg::Reconcile { limit }),
                _ => unreachable!("matched above"),
            };
            let signer = signer(&file)?;
            let deployed = deployment()?;
            for _ in 0..ops::MAX_SUBMIT_CALLS {
                let outcome = ops::execute(&chain, &signer, &deployed, &msg, 0).await?;
                say(&describe(name, &outcome));
                // A batch over many validators is submitted in several transactions.
                if !ops::submission_continues(&outcome) {
                    break;
                }
            }
        }
        Command::Migrate { artifacts } => {
            let signer = signer(&file)?;
            let mut deployed = deployment()?;
            let outcome = ops::migrate(&chain, &signer, &mut deployed, &artifacts).await?;
            deployed.save(&cli.deployment)?;
            say(&describe("migrate", &outcome));
        }
        Command::Keeper {
            interval,
            harvest_every,
        } => {
            let signer = signer(&file)?;
            let deployed = deployment()?;
            say(&format!(
                "keeper for {} as {}, every {interval} s",
                deployed.hub, signer.address
            ));
            let config = KeeperConfig {
                interval: Duration::from_secs(interval.max(1)),
                harvest_every,
            };
            let ticks = keeper::run(
                &chain,
                &signer,
                &deployed,
                config,
                shutdown_signal(),
                &mut say,
            )
            .await;
            say(&format!("stopped after {ticks} ticks"));
        }
    }
    Ok(())
}

fn print_status(status: &ops::Status) {
    let state = &status.state;
    say(&format!("height {} time {}", status.height, status.time));
    say(&format!(
        "rate {}  backing {}{}  supply {}  unvested {}  suspense {}",
        state.exchange_rate,
        state.total_native,
        status.config.denom,
        state.total_shares,
        state.unvested_rewards,
        state.suspense
    ));
    say(&format!(
        "pending batch {}: {} shares, submit after {}",
        status.pending.id, status.pending.shares, status.pending.submit_after
    ));
    if let Some(submission) = &state.submission {
        say(&format!(
            "batch {} being submitted: {} left to undelegate (submit continues it)",
            submission.batch_id, submission.native_left
        ));
    }
    for batch in &status.open_batches {
        say(&format!(
            "  batch {}: {} expected, completes at {}",
            batch.id, batch.native_expected, batch.completes_at
        ));
    }
    let due = |at: Option<u64>| match at {
        Some(at) if at <= status.time => "now".to_string(),
        Some(at) => format!("at {at}"),
        None => "nothing to do".to_string(),
    };
    say(&format!(
        "submit: {}; reconcile: {}; last sync {}",
        due(status.submit_due),
        due(status.reconcile_due),
        state.last_sync
    ));
    let paused: Vec<String> = status
        .paused
        .operations
        .iter()
        .map(|op| format!("{op:?}"))
        .collect();
    say(&format!(
        "paused: {}",
        if paused.is_empty() {
            "none".to_string()
        } else {
            paused.join(", ")
        }
    ));
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
