//! The keeper: a loop that runs each crank when it is due, judged from the chain's own time
//! and the hub's state. Running two at once is safe: the hub refuses a crank that is not due
//! (another keeper ran it first) and the keeper logs that and goes on; a node that goes away
//! is retried on the next tick; a signal ends the loop between ticks.

use std::future::Future;
use std::time::Duration;

use flowstake::hub::ExecuteMsg;

use crate::client::{Chain, Signer, TxOutcome};
use crate::config::Deployment;
use crate::error::{OperatorError, Result};
use crate::ops;

#[derive(Clone, Copy, Debug)]
pub struct KeeperConfig {
    /// Time between two looks at the hub.
    pub interval: Duration,
    /// Harvest once this long has passed since the hub's last sync (seconds).
    pub harvest_every: u64,
}

/// What one tick did, crank by crank.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    pub harvested: bool,
    pub submitted: bool,
    pub reconciled: bool,
    /// Cranks the hub refused as not due (another keeper was first, say).
    pub not_due: Vec<&'static str>,
    /// Cranks refused for another reason, with the chain's message: these need a person.
    pub refused: Vec<(&'static str, String)>,
}

/// Runs until `shutdown` completes; returns the number of ticks.
pub async fn run(
    chain: &Chain,
    signer: &Signer,
    deployment: &Deployment,
    config: KeeperConfig,
    shutdown: impl Future<Output = ()>,
    log: &mut dyn FnMut(&str),
) -> u64 {
    tokio::pin!(shutdown);
    let mut ticks = 0;
    loop {
        match tick(chain, signer, deployment, config, log).await {
            Ok(_) => {}
            Err(err) if err.is_transient() => log(&format!("node unavailable, retrying: {err}")),
            Err(err) => log(&format!("error: {err}")),
        }
        ticks += 1;
        tokio::select! {
            _ = &mut shutdown => {
                log("signal received: stopping");
                return ticks;
            }
            _ = tokio::time::sleep(config.interval) => {}
        }
    }
}

/// Looks at the hub once and runs what is due.
pub async fn tick(
    chain: &Chain,
    signer: &Signer,
    deployment: &Deployment,
    config: KeeperConfig,
    log: &mut dyn FnMut(&str),
) -> Result<Tick> {
    let status = ops::status(chain, deployment).await?;
    let mut done = Tick::default();
    let now = status.time;
    if now.saturating_sub(status.state.last_sync) >= config.harvest_every {
        done.harvested = crank(
            chain,
            signer,
            deployment,
            "harvest",
            &ExecuteMsg::Harvest {},
            &mut done,
            log,
        )
        .await?
        .is_some();
    }
    if status.submit_due.is_some_and(|at| at <= now) {
        // A batch spread over more validators than one call undelegates from takes several
        // calls; each is its own transaction, within the block's gas.
        for _ in 0..ops::MAX_SUBMIT_CALLS {
            let outcome = crank(
                chain,
                signer,
                deployment,
                "submit",
                &ExecuteMsg::SubmitBatch {},
                &mut done,
                log,
            )
            .await?;
            done.submitted |= outcome.is_some();
            if !outcome.is_some_and(|o| ops::submission_continues(&o)) {
                break;
            }
        }
    }
    if status.reconcile_due.is_some_and(|at| at <= now) {
        done.reconciled = crank(
            chain,
            signer,
            deployment,
            "reconcile",
            &ExecuteMsg::Reconcile { limit: None },
            &mut done,
            log,
        )
        .await?
        .is_some();
    }
    Ok(done)
}

async fn crank(
    chain: &Chain,
    signer: &Signer,
    deployment: &Deployment,
    name: &'static str,
    msg: &ExecuteMsg,
    done: &mut Tick,
    log: &mut dyn FnMut(&str),
) -> Result<Option<TxOutcome>> {
    match ops::execute(chain, signer, deployment, msg, 0).await {
        Ok(outcome) => {
            log(&describe(name, &outcome));
            Ok(Some(outcome))
        }
        Err(err) if err.is_not_due() => {
            log(&format!("{name}: not due ({err})"));
            done.not_due.push(name);
            Ok(None)
        }
        Err(err) if err.is_transient() => Err(err),
        Err(err @ OperatorError::Refused { .. }) => {
            // A refusal that needs a person (a shortfall beyond the bound, say): say so, and
            // let the other cranks run.
            log(&format!("{name}: refused, needs attention: {err}"));
            done.refused.push((name, err.to_string()));
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// One log line for a crank that went through.
pub fn describe(name: &str, outcome: &TxOutcome) -> String {
    let mut line = format!(
        "{name}: height {} gas {} tx {}",
        outcome.height, outcome.gas_used, outcome.hash
    );
    for key in [
        "batch_id",
        "submitted",
        "native_unbonded",
        "native_left",
        "withdrawn",
        "batches",
        "batch_ids",
        "waiting_for",
        "shortfall",
        "surplus",
        "rewards",
        "rewards_vested",
        "slashed",
    ] {
        if let Some(value) = outcome.wasm_attributes(key).first() {
            line.push_str(&format!(" {key}={value}"));
        }
    }
    line
}
