//! The operations: deploy, status and every hub message an operator or user sends. Each takes
//! a connected [`Chain`], the signer where one is needed, and the deployment.

use std::path::Path;

use cosmrs::cosmwasm::{
    MsgExecuteContract, MsgInstantiateContract, MsgMigrateContract, MsgStoreCode,
};
use cosmrs::tx::Msg;
use cosmrs::Any;
use cosmwasm_std::{to_json_binary, Decimal, Uint128};
use cw20::Cw20ExecuteMsg;
use flowstake::hub::{
    BatchResponse, BatchStatus, ConfigResponse, ExecuteMsg, InstantiateMsg, MigrateMsg,
    PausedResponse, PendingBatchResponse, QueryMsg, RateBounds, ReceiveMsg, StateResponse,
    TokenInfo, ValidatorWeight,
};
use serde::Serialize;

use crate::client::{account_id, coin, Chain, Signer, TxOutcome};
use crate::config::Deployment;
use crate::error::{OperatorError, Result};

/// The hub's parameters at deployment; what is not given is derived from the chain. The
/// command line's `deploy` flags are these fields.
#[derive(Clone, Debug, clap::Args)]
pub struct DeployParams {
    /// Directory holding `flowstake_{hub,token,collector}.wasm`.
    #[arg(long, default_value = "artifacts")]
    pub artifacts: std::path::PathBuf,
    /// Initial validators (comma-separated operator addresses, equal weights); all bonded
    /// validators if left out.
    #[arg(long, value_delimiter = ',')]
    pub validators: Vec<String>,
    /// Seconds between batch submissions; the shortest that lets 7 batches cover the chain's
    /// unbonding time if left out.
    #[arg(long = "epoch")]
    pub epoch_period: Option<u64>,
    #[arg(long, default_value = "0.05")]
    pub fee_rate: Decimal,
    #[arg(long)]
    pub fee_receiver: Option<String>,
    #[arg(long)]
    pub guardian: Option<String>,
    #[arg(long, default_value = "1000")]
    pub min_bond: Uint128,
    #[arg(long, default_value = "1000")]
    pub min_unbond: Uint128,
    /// Native deposited at instantiation as dead shares.
    #[arg(long, default_value = "1000000")]
    pub seed: Uint128,
    #[arg(long, default_value = "fsSTAKE")]
    pub symbol: String,
    /// Largest annual reward rate recognised at once (the hub's default, 0.5, if left out);
    /// rewards beyond it enter the rate gradually. A test chain with a small supply may pay
    /// far more.
    #[arg(long)]
    pub max_reward_rate: Option<Decimal>,
    /// Share of the backing kept unstaked for instant exits (0 to 0.2).
    #[arg(long, default_value = "0")]
    pub buffer_target: Decimal,
    /// Fee on an instant exit (0 to 0.01), kept for the remaining holders.
    #[arg(long, default_value = "0")]
    pub exit_fee: Decimal,
}

fn any(msg: impl Msg) -> Result<Any> {
    msg.to_any()
        .map_err(|e| OperatorError::Invalid(e.to_string()))
}

fn read_wasm(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path = dir.join(format!("flowstake_{name}.wasm"));
    std::fs::read(&path).map_err(|err| OperatorError::Io {
        path: path.display().to_string(),
        reason: format!("{err} (build the artifacts with scripts/build-wasm.sh)"),
    })
}

/// Stores one code and returns its id.
pub async fn store(chain: &Chain, signer: &Signer, wasm: Vec<u8>) -> Result<u64> {
    let msg = MsgStoreCode {
        sender: signer.address.clone(),
        wasm_byte_code: wasm,
        instantiate_permission: None,
    };
    let outcome = chain.send(signer, vec![any(msg)?]).await?;
    outcome
        .attribute("store_code", "code_id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| OperatorError::Invalid("store_code gave no code id".to_string()))
}

/// Stores the three codes, instantiates the hub (which instantiates its token and collector),
/// and returns the deployment. Progress goes to `log`.
pub async fn deploy(
    chain: &Chain,
    signer: &Signer,
    params: &DeployParams,
    log: &mut dyn FnMut(&str),
) -> Result<Deployment> {
    let mut ids = vec![];
    for name in ["hub", "token", "collector"] {
        let wasm = read_wasm(&params.artifacts, name)?;
        log(&format!("storing {name} ({} bytes)", wasm.len()));
        let id = store(chain, signer, wasm).await?;
        log(&format!("  code id {id}"));
        ids.push(id);
    }
    let unbonding = chain.unbonding_time().await?;
    let validators = if params.validators.is_empty() {
        chain.bonded_validators().await?
    } else {
        params.validators.clone()
    };
    if validators.is_empty() {
        return Err(OperatorError::Invalid(
            "no bonded validator on the chain for the initial set".to_string(),
        ));
    }
    // The shortest epoch for which seven batches cover the chain's unbonding time.
    let epoch = params.epoch_period.unwrap_or(unbonding.div_ceil(7).max(1));
    let me = signer.address.to_string();
    let msg = InstantiateMsg {
        owner: None,
        guardian: params.guardian.clone(),
        denom: chain.file.staking_denom.clone(),
        token_code_id: ids[1],
        collector_code_id: ids[2],
        token: TokenInfo {
            name: format!("Flowstake {}", chain.file.staking_denom),
            symbol: params.symbol.clone(),
            decimals: 6,
            marketing: None,
        },
        validators: validators
            .iter()
            .map(|address| ValidatorWeight {
                address: address.clone(),
                weight: 1,
            })
            .collect(),
        fee_receiver: params.fee_receiver.clone().unwrap_or_else(|| me.clone()),
        fee_rate: params.fee_rate,
        min_bond: params.min_bond,
        min_unbond: params.min_unbond,
        epoch_period: epoch,
        unbonding_period: unbonding,
        max_unbond_shortfall: Decimal::percent(5),
        rate_bounds: RateBounds {
            max_fall: Decimal::percent(10),
            max_rise: Decimal::percent(2),
        },
        max_reward_rate: params.max_reward_rate,
    };
    log(&format!(
        "instantiating the hub: {} validators, epoch {epoch} s, unbonding {unbonding} s (from the chain)",
        validators.len()
    ));
    let instantiate = MsgInstantiateContract {
        sender: signer.address.clone(),
        admin: Some(signer.address.clone()),
        code_id: ids[0],
        label: Some("flowstake hub".to_string()),
        msg: serde_json::to_vec(&msg).expect("instantiate serialises"),
        funds: vec![coin(params.seed.u128(), &chain.file.staking_denom)?],
    };
    let outcome = chain.send(signer, vec![any(instantiate)?]).await?;
    let hub = outcome
        .events
        .iter()
        .find(|(t, k, _)| t == "instantiate" && k == "_contract_address")
        .map(|(_, _, v)| v.clone())
        .ok_or_else(|| OperatorError::Invalid("instantiation gave no address".to_string()))?;
    let config: ConfigResponse = chain.query(&hub, &QueryMsg::Config {}).await?;
    log(&format!("hub {hub}, gas used {}", outcome.gas_used));
    let deployment = Deployment {
        chain_id: chain.file.chain_id.clone(),
        hub_code_id: ids[0],
        token_code_id: ids[1],
        collector_code_id: ids[2],
        hub,
        token: config.token.to_string(),
        collector: config.collector.to_string(),
        height: outcome.height,
    };
    let liquidity = flowstake::hub::Liquidity {
        buffer_target: params.buffer_target,
        exit_fee: params.exit_fee,
    };
    if liquidity != flowstake::hub::Liquidity::default() {
        // The buffer is set by the owner after instantiation (the instantiate message has no
        // field for it).
        let update = flowstake::hub::ConfigUpdate {
            liquidity: Some(liquidity),
            ..flowstake::hub::ConfigUpdate::default()
        };
        let outcome = execute(
            chain,
            signer,
            &deployment,
            &ExecuteMsg::UpdateConfig(Box::new(update)),
            0,
        )
        .await?;
        log(&format!(
            "liquidity buffer {} of the backing, exit fee {}: gas used {}",
            params.buffer_target, params.exit_fee, outcome.gas_used
        ));
    }
    Ok(deployment)
}

/// Sends one hub message, with funds in the staking denom if `native` is non-zero.
pub async fn execute(
    chain: &Chain,
    signer: &Signer,
    deployment: &Deployment,
    msg: &ExecuteMsg,
    native: u128,
) -> Result<TxOutcome> {
    let funds = if native > 0 {
        vec![coin(native, &chain.file.staking_denom)?]
    } else {
        vec![]
    };
    let execute = MsgExecuteContract {
        sender: signer.address.clone(),
        contract: account_id(&deployment.hub, "hub")?,
        msg: serde_json::to_vec(msg).expect("message serialises"),
        funds,
    };
    chain.send(signer, vec![any(execute)?]).await
}

/// Queues `shares` of derivative for unbonding, through the token's `Send` hook.
pub async fn unbond(
    chain: &Chain,
    signer: &Signer,
    deployment: &Deployment,
    shares: u128,
) -> Result<TxOutcome> {
    let hook = ReceiveMsg::QueueUnbond { receiver: None };
    send_to_hub(chain, signer, deployment, shares, &hook).await
}

/// Exits `shares` of derivative at once from the liquidity buffer, refusing a payout below
/// `min_native`.
pub async fn instant_unbond(
    chain: &Chain,
    signer: &Signer,
    deployment: &Deployment,
    shares: u128,
    min_native: Option<u128>,
) -> Result<TxOutcome> {
    let hook = ReceiveMsg::InstantUnbond {
        receiver: None,
        min_native: min_native.map(Uint128::new),
    };
    send_to_hub(chain, signer, deployment, shares, &hook).await
}

/// A bond's forward to `contract` with the hook message `json`, which must be a JSON object
/// (the contract's own receive message, e.g. `{"deposit_collateral":{}}`).
pub fn forward(contract: String, json: &str) -> Result<flowstake::hub::Forward> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|err| {
        OperatorError::Invalid(format!("the forward message is not JSON: {err}: {json}"))
    })?;
    if !value.is_object() {
        return Err(OperatorError::Invalid(format!(
            "the forward message must be a JSON object naming the contract's message, got {json}"
        )));
    }
    if contract.trim().is_empty() {
        return Err(OperatorError::Invalid(
            "the forward contract is empty".to_string(),
        ));
    }
    Ok(flowstake::hub::Forward {
        contract,
        msg: cosmwasm_std::Binary::from(json.as_bytes()),
    })
}

/// Sends `shares` of derivative to the hub with `hook`, through the token's `Send`.
async fn send_to_hub(
    chain: &Chain,
    signer: &Signer,
    deployment: &Deployment,
    shares: u128,
    hook: &ReceiveMsg,
) -> Result<TxOutcome> {
    let send = Cw20ExecuteMsg::Send {
        contract: deployment.hub.clone(),
        amount: Uint128::new(shares),
        msg: to_json_binary(hook).expect("hook serialises"),
    };
    let execute = MsgExecuteContract {
        sender: signer.address.clone(),
        contract: account_id(&deployment.token, "token")?,
        msg: serde_json::to_vec(&send).expect("message serialises"),
        funds: vec![],
    };
    chain.send(signer, vec![any(execute)?]).await
}

/// Stores a new hub code and migrates the hub to it.
pub async fn migrate(
    chain: &Chain,
    signer: &Signer,
    deployment: &mut Deployment,
    artifacts: &Path,
) -> Result<TxOutcome> {
    let code_id = store(chain, signer, read_wasm(artifacts, "hub")?).await?;
    let msg = MsgMigrateContract {
        sender: signer.address.clone(),
        contract: account_id(&deployment.hub, "hub")?,
        code_id,
        msg: serde_json::to_vec(&MigrateMsg {}).expect("migrate serialises"),
    };
    let outcome = chain.send(signer, vec![any(msg)?]).await?;
    deployment.hub_code_id = code_id;
    Ok(outcome)
}

/// Most `submit_batch` calls one submission may take: the set's bound (200 validators) over
/// the undelegations per call, twice (a submission whose last validators were slashed starts
/// again from the first), and one more.
pub const MAX_SUBMIT_CALLS: usize = 2 * 200 / flowstake::MAX_SUBMIT_UNDELEGATIONS + 1;

/// Whether a `submit_batch` left its batch partly submitted: call it again.
pub fn submission_continues(outcome: &TxOutcome) -> bool {
    outcome
        .wasm_attributes("submission_done")
        .contains(&"false")
}

/// Most batches open at once (the hub's `MAX_OPEN_BATCHES`).
const OPEN_WINDOW: u64 = 14;

/// Everything `status` shows.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub height: u64,
    pub time: u64,
    pub state: StateResponse,
    pub config: ConfigResponse,
    pub pending: PendingBatchResponse,
    /// Submitted batches not yet reconciled.
    pub open_batches: Vec<BatchResponse>,
    pub paused: PausedResponse,
    pub hub_balance: u128,
    /// When each crank is next due (seconds, chain time), if it is.
    pub submit_due: Option<u64>,
    pub reconcile_due: Option<u64>,
}

/// The hub as the chain sees it now.
pub async fn status(chain: &Chain, deployment: &Deployment) -> Result<Status> {
    let hub = &deployment.hub;
    let (height, time) = chain.latest().await?;
    let state: StateResponse = chain.query(hub, &QueryMsg::State {}).await?;
    let config: ConfigResponse = chain.query(hub, &QueryMsg::Config {}).await?;
    let pending: PendingBatchResponse = chain.query(hub, &QueryMsg::PendingBatch {}).await?;
    let paused: PausedResponse = chain.query(hub, &QueryMsg::Paused {}).await?;
    // Every open batch is among the 14 before the pending one (the hub's bound on open
    // batches), so one page covers them.
    let recent: Vec<BatchResponse> = chain
        .query(
            hub,
            &QueryMsg::Batches {
                start_after: pending.id.checked_sub(OPEN_WINDOW + 1),
                limit: Some(30),
            },
        )
        .await?;
    let open_batches: Vec<BatchResponse> = recent
        .into_iter()
        .filter(|b| matches!(b.status, BatchStatus::Unbonding))
        .collect();
    let hub_balance = chain.balance(hub, &config.denom).await?;
    let submit_due = match &state.submission {
        // A batch part submitted: the rest is due at once.
        Some(_) => Some(0),
        None => (!pending.shares.is_zero()).then_some(pending.submit_after),
    };
    let reconcile_due = open_batches.iter().map(|b| b.completes_at).min();
    Ok(Status {
        height,
        time,
        state,
        config,
        pending,
        open_batches,
        paused,
        hub_balance,
        submit_due,
        reconcile_due,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forward_carries_the_json_hook_message_as_it_was_given() {
        let forward = forward("inj1lender".to_string(), r#"{"deposit_collateral":{}}"#)
            .expect("a JSON object");
        assert_eq!(forward.contract, "inj1lender");
        assert_eq!(forward.msg.as_slice(), br#"{"deposit_collateral":{}}"#);
    }

    #[test]
    fn a_forward_message_that_is_not_a_json_object_is_refused() {
        for bad in ["deposit", "[1,2]", "\"text\"", "{\"a\":"] {
            let err = forward("inj1lender".to_string(), bad).expect_err(bad);
            assert!(matches!(err, OperatorError::Invalid(_)), "{bad}: {err}");
        }
        let err = forward(" ".to_string(), "{}").expect_err("empty contract");
        assert!(err.to_string().contains("forward contract"), "{err}");
    }
}
