//! The real chain's side: its figures read at a given height over the node's ABCI query
//! endpoint (so that every figure of one comparison belongs to the same block), and block
//! heights and times.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::distribution::v1beta1::{
    QueryDelegationRewardsRequest, QueryDelegationRewardsResponse,
    QueryDelegationTotalRewardsRequest, QueryDelegationTotalRewardsResponse,
};
use cosmrs::proto::cosmos::staking::v1beta1::{
    QueryDelegatorDelegationsRequest, QueryDelegatorDelegationsResponse,
    QueryDelegatorUnbondingDelegationsRequest, QueryDelegatorUnbondingDelegationsResponse,
    QueryRedelegationsRequest, QueryRedelegationsResponse, QueryValidatorsRequest,
    QueryValidatorsResponse,
};
use cosmrs::proto::prost::Message;
use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::{Client, HttpClient};
use cosmrs::tendermint::block::Height;
use cosmwasm_std::Decimal256;

use super::compare::{parse_dec, Redelegation, State, Unbonding};

pub struct ChainReader {
    rpc: HttpClient,
    denom: String,
    times: HashMap<u64, u64>,
}

fn nanos(time: Option<cosmrs::proto::Timestamp>) -> u64 {
    let time = time.expect("an entry without a completion time");
    time.seconds as u64 * 1_000_000_000 + time.nanos as u64
}

fn page() -> Option<PageRequest> {
    Some(PageRequest {
        limit: 1_000,
        ..Default::default()
    })
}

impl ChainReader {
    pub fn new(rpc: &str, denom: &str) -> Self {
        let rpc = HttpClient::builder(rpc.parse().expect("an RPC address"))
            .compat_mode(CompatMode::V0_38)
            .build()
            .expect("an RPC client");
        Self {
            rpc,
            denom: denom.to_string(),
            times: HashMap::new(),
        }
    }

    /// Runs `attempt` again while the node does not answer (up to about 30 s).
    async fn retry<T, E: std::fmt::Display, F: std::future::Future<Output = Result<T, E>>>(
        what: &str,
        mut attempt: impl FnMut() -> F,
    ) -> T {
        let mut last = String::new();
        for _ in 0..60 {
            match attempt().await {
                Ok(value) => return value,
                Err(err) => last = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("{what}: the node did not answer: {last}");
    }

    async fn query<Req: Message + Clone, Resp: Message + Default>(
        &self,
        path: &str,
        request: Req,
        height: u64,
    ) -> Resp {
        let data = request.encode_to_vec();
        let height = Height::try_from(height).expect("a height");
        let response = Self::retry(path, || {
            self.rpc
                .abci_query(Some(path.to_string()), data.clone(), Some(height), false)
        })
        .await;
        assert!(
            response.code.is_ok(),
            "query {path} at height {height} failed: {}",
            response.log
        );
        Resp::decode(response.value.as_slice())
            .unwrap_or_else(|e| panic!("query {path}: undecodable answer: {e}"))
    }

    pub async fn latest_height(&self) -> u64 {
        let status = Self::retry("status", || self.rpc.status()).await;
        status.sync_info.latest_block_height.value()
    }

    /// Waits until block `height` is committed.
    pub async fn wait_for(&self, height: u64) {
        while self.latest_height().await < height {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The header time of block `height`, in nanoseconds.
    pub async fn block_time(&mut self, height: u64) -> u64 {
        if let Some(time) = self.times.get(&height) {
            return *time;
        }
        self.wait_for(height).await;
        let at = Height::try_from(height).expect("a height");
        let block = Self::retry("block", || self.rpc.block(at)).await;
        let time = block.block.header.time.unix_timestamp_nanos() as u64;
        self.times.insert(height, time);
        time
    }

    /// The figures of `delegators` and `validators` after block `height`. Balances are the
    /// full balances (the runner takes the rewards out).
    pub async fn state(&self, height: u64, delegators: &[String], validators: &[String]) -> State {
        let mut state = State::default();
        for delegator in delegators {
            let balance: QueryBalanceResponse = self
                .query(
                    "/cosmos.bank.v1beta1.Query/Balance",
                    QueryBalanceRequest {
                        address: delegator.clone(),
                        denom: self.denom.clone(),
                    },
                    height,
                )
                .await;
            let amount = balance
                .balance
                .map_or(0, |coin| coin.amount.parse::<i128>().unwrap());
            state.balances.insert(delegator.clone(), amount);

            let delegations: QueryDelegatorDelegationsResponse = self
                .query(
                    "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
                    QueryDelegatorDelegationsRequest {
                        delegator_addr: delegator.clone(),
                        pagination: page(),
                    },
                    height,
                )
                .await;
            for response in delegations.delegation_responses {
                let delegation = response.delegation.expect("a delegation");
                let balance = response.balance.map_or(0, |c| c.amount.parse().unwrap());
                state.delegations.insert(
                    (delegator.clone(), delegation.validator_address),
                    (parse_dec(&delegation.shares), balance),
                );
            }

            let unbondings: QueryDelegatorUnbondingDelegationsResponse = self
                .query(
                    "/cosmos.staking.v1beta1.Query/DelegatorUnbondingDelegations",
                    QueryDelegatorUnbondingDelegationsRequest {
                        delegator_addr: delegator.clone(),
                        pagination: page(),
                    },
                    height,
                )
                .await;
            for record in unbondings.unbonding_responses {
                let entries = record
                    .entries
                    .into_iter()
                    .map(|entry| Unbonding {
                        creation_height: entry.creation_height as u64,
                        completion: nanos(entry.completion_time),
                        initial_balance: entry.initial_balance.parse().unwrap(),
                        balance: entry.balance.parse().unwrap(),
                    })
                    .collect();
                state
                    .unbondings
                    .insert((delegator.clone(), record.validator_address), entries);
            }

            let redelegations: QueryRedelegationsResponse = self
                .query(
                    "/cosmos.staking.v1beta1.Query/Redelegations",
                    QueryRedelegationsRequest {
                        delegator_addr: delegator.clone(),
                        src_validator_addr: String::new(),
                        dst_validator_addr: String::new(),
                        pagination: page(),
                    },
                    height,
                )
                .await;
            for response in redelegations.redelegation_responses {
                let record = response.redelegation.expect("a redelegation");
                // The answer carries the entries beside the record (the record's own list is
                // left empty), each with its balance.
                let entries = response
                    .entries
                    .into_iter()
                    .map(|entry| entry.redelegation_entry.expect("an entry"))
                    .map(|entry| Redelegation {
                        creation_height: entry.creation_height as u64,
                        completion: nanos(entry.completion_time),
                        initial_balance: entry.initial_balance.parse().unwrap(),
                        shares_dst: parse_dec(&entry.shares_dst),
                    })
                    .collect();
                state.redelegations.insert(
                    (
                        delegator.clone(),
                        record.validator_src_address,
                        record.validator_dst_address,
                    ),
                    entries,
                );
            }
        }

        let all: QueryValidatorsResponse = self
            .query(
                "/cosmos.staking.v1beta1.Query/Validators",
                QueryValidatorsRequest {
                    status: String::new(),
                    pagination: page(),
                },
                height,
            )
            .await;
        for validator in all.validators {
            if validators.contains(&validator.operator_address) {
                state.validators.insert(
                    validator.operator_address,
                    (
                        validator.tokens.parse().unwrap(),
                        parse_dec(&validator.delegator_shares),
                    ),
                );
            }
        }
        state
    }

    /// Pending rewards in the staking denom of every delegation of `delegators` after block
    /// `height` (rewards in other denoms, from fees, are left out).
    pub async fn rewards(
        &self,
        height: u64,
        delegators: &[String],
    ) -> BTreeMap<(String, String), Decimal256> {
        let mut all = BTreeMap::new();
        for delegator in delegators {
            let response: QueryDelegationTotalRewardsResponse = self
                .query(
                    "/cosmos.distribution.v1beta1.Query/DelegationTotalRewards",
                    QueryDelegationTotalRewardsRequest {
                        delegator_address: delegator.clone(),
                    },
                    height,
                )
                .await;
            for reward in response.rewards {
                let amount = reward
                    .reward
                    .iter()
                    .filter(|coin| coin.denom == self.denom)
                    .map(|coin| parse_dec(&coin.amount))
                    .sum();
                all.insert((delegator.clone(), reward.validator_address), amount);
            }
        }
        all
    }

    /// Pending rewards of one delegation after block `height`, in the staking denom.
    pub async fn delegation_rewards(
        &self,
        height: u64,
        delegator: &str,
        validator: &str,
    ) -> Decimal256 {
        let response: QueryDelegationRewardsResponse = self
            .query(
                "/cosmos.distribution.v1beta1.Query/DelegationRewards",
                QueryDelegationRewardsRequest {
                    delegator_address: delegator.to_string(),
                    validator_address: validator.to_string(),
                },
                height,
            )
            .await;
        response
            .rewards
            .iter()
            .filter(|coin| coin.denom == self.denom)
            .map(|coin| parse_dec(&coin.amount))
            .sum()
    }

    /// The commission rate of `validator` (all the localnet's validators share one).
    pub async fn commission(&self, height: u64, validator: &str) -> Decimal256 {
        let all: QueryValidatorsResponse = self
            .query(
                "/cosmos.staking.v1beta1.Query/Validators",
                QueryValidatorsRequest {
                    status: String::new(),
                    pagination: page(),
                },
                height,
            )
            .await;
        let found = all
            .validators
            .into_iter()
            .find(|v| v.operator_address == validator)
            .expect("the validator exists");
        let rate = found
            .commission
            .and_then(|c| c.commission_rates)
            .map(|rates| rates.rate)
            .unwrap_or_default();
        parse_dec(&rate)
    }
}
