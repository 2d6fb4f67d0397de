//! What each action does: calls to the hub as transactions, token moves, time and the
//! chain's own events.

use cosmwasm_std::{coins, from_json, to_json_vec, Addr, Api, Binary, Coin, Response, Uint128};
use cw20::Cw20ReceiveMsg;
use flowstake::hub::{
    BatchResponse, BatchStatus, ExecuteMsg, MigrateMsg, PendingBatchResponse, QueryMsg,
};
use flowstake_hub::contract;

use super::messages::edit_json;
use super::{Saved, World, BLOCK_TIME, CHAIN_VALIDATORS, DENOM, MAX_ADVANCE};
use crate::input::{Action, Crank, Fund, Hook, Who};

impl World {
    /// Plays one action; a call the hub refuses is undone, an accepted one is checked.
    pub fn act(&mut self, action: &Action) {
        match action {
            Action::Execute { sender, funds, msg } => {
                let msg = self.message(msg);
                self.send(sender, funds, msg);
            }
            Action::EditedJson {
                sender,
                funds,
                msg,
                edits,
            } => {
                let json = to_json_vec(&self.message(msg)).expect("a message serialises");
                if let Ok(msg) = from_json::<ExecuteMsg>(edit_json(json, edits)) {
                    self.send(sender, funds, msg);
                }
            }
            Action::RawJson {
                sender,
                funds,
                bytes,
            } => {
                if let Ok(msg) = from_json::<ExecuteMsg>(bytes) {
                    self.send(sender, funds, msg);
                }
            }
            Action::Bond { user, native } => {
                let sender = self.user(*user).clone();
                let msg = ExecuteMsg::Bond {
                    receiver: None,
                    min_shares: None,
                    forward: None,
                };
                self.execute(sender, coins(native.value(), DENOM), msg);
            }
            Action::Crank(crank) => self.crank(*crank),
            Action::BondQueueSubmit {
                user,
                native,
                shares,
            } => {
                self.act(&Action::Bond {
                    user: *user,
                    native: *native,
                });
                let queue = Hook::QueueUnbond { receiver: None };
                self.act(&Action::TokenSend {
                    user: *user,
                    shares: *shares,
                    hook: queue,
                });
                self.act(&Action::AdvanceToSubmit);
                self.crank(Crank::SubmitBatch);
            }
            Action::MatureReconcileWithdraw { user } => {
                // In the block of completion the hub waits for proof of payout; a keeper calls
                // again a block later.
                self.act(&Action::AdvanceToMaturity);
                self.crank(Crank::Reconcile(None));
                self.advance(BLOCK_TIME);
                self.crank(Crank::Reconcile(None));
                self.crank(Crank::Withdraw {
                    user: *user,
                    limit: None,
                });
            }
            Action::TokenSend { user, shares, hook } => {
                let holder = self.user(*user).to_string();
                let shares = shares.of(self.chain.token.balance(&holder));
                self.token_send(holder, shares, self.hook(hook));
            }
            Action::TokenTransfer { user, to, shares } => {
                let from = self.user(*user).to_string();
                let shares = shares.of(self.chain.token.balance(&from));
                self.token_transfer(&from, &self.name(to), shares);
            }
            Action::Query(query) => {
                let msg = self.query_message(query);
                let _ = self.query_result(msg);
            }
            Action::RawQuery(bytes) => {
                if let Ok(msg) = from_json::<QueryMsg>(bytes) {
                    let _ = self.query_result(msg);
                }
            }
            Action::Migrate => self.migrate(),
            Action::Advance(seconds) => self.advance(seconds.value()),
            Action::AdvanceToSubmit => {
                let pending: PendingBatchResponse = self.query(QueryMsg::PendingBatch {});
                self.advance_to(pending.submit_after);
            }
            Action::AdvanceToMaturity => {
                let batches: Vec<BatchResponse> = self.query(QueryMsg::Batches {
                    start_after: None,
                    limit: Some(100),
                });
                let oldest = batches
                    .iter()
                    .find(|batch| batch.status == BatchStatus::Unbonding);
                if let Some(batch) = oldest {
                    self.advance_to(batch.completes_at);
                }
            }
            Action::Slash {
                validator,
                permille,
            } => {
                let validator = CHAIN_VALIDATORS[usize::from(*validator) % CHAIN_VALIDATORS.len()];
                if self.chain.slash(validator, *permille) > 0 {
                    self.slash_unseen = true;
                }
            }
            Action::SlashUnbonding { permille } => self.chain.slash_unbonding(*permille),
            Action::Rewards { validator, amount } => {
                let validator = CHAIN_VALIDATORS[usize::from(*validator) % CHAIN_VALIDATORS.len()];
                self.chain.accrue(validator, amount.value());
            }
            Action::Donate(amount) => {
                self.chain.receive(amount.value(), false);
            }
            Action::DonateToCollector(amount) => {
                self.chain.receive(amount.value(), true);
            }
        }
    }

    /// A migration to the same version is accepted and changes nothing but the recorded
    /// version.
    pub fn migrate(&mut self) {
        let env = self.env.clone();
        let response = contract::migrate(self.deps.as_mut(), env, MigrateMsg {})
            .unwrap_or_else(|err| panic!("a migration to the same version failed: {err}"));
        assert!(response.messages.is_empty(), "a migration sends messages");
        self.accepted(&response, None);
    }

    /// A permissionless call by a keeper or a user, well formed.
    pub(crate) fn crank(&mut self, crank: Crank) {
        let limit = |l: Option<u8>| l.map(u32::from);
        let (sender, msg) = match crank {
            Crank::Harvest => (Who::Creator, ExecuteMsg::Harvest {}),
            Crank::Sync => (Who::Creator, ExecuteMsg::Sync {}),
            Crank::SubmitBatch => (Who::Creator, ExecuteMsg::SubmitBatch {}),
            Crank::Reconcile(l) => (Who::Creator, ExecuteMsg::Reconcile { limit: limit(l) }),
            Crank::Withdraw { user, limit: l } => (
                Who::User(user),
                ExecuteMsg::WithdrawUnbonded {
                    receiver: None,
                    limit: limit(l),
                },
            ),
            Crank::Cancel { user } => (Who::User(user), ExecuteMsg::CancelUnbond {}),
        };
        let sender = self.sender(&sender);
        self.execute(sender, vec![], msg);
    }

    /// Time passes until `timestamp` (seconds), if it is ahead.
    pub fn advance_to(&mut self, timestamp: u64) {
        let now = self.now();
        if timestamp > now {
            self.advance(timestamp - now);
        }
    }

    /// The current block ends and time passes: the end of block pays the unbondings and ends
    /// the redelegations that complete at or before the ending block's time (x/staking's end
    /// blocker runs after the block's transactions), then a later block begins.
    pub fn advance(&mut self, seconds: u64) {
        let seconds = seconds.min(MAX_ADVANCE);
        let now = self.now();
        self.chain.mature(now);
        self.env.block.time = self.env.block.time.plus_seconds(seconds);
        self.env.block.height += (seconds / BLOCK_TIME).max(1);
    }

    /// A call as the chain would deliver it. The hub never calls itself with these messages,
    /// so it is never the sender; the token only calls `Receive` from its `Send`, after moving
    /// the tokens, so such a call goes through [`World::token_send`].
    pub(crate) fn send(&mut self, sender: &Who, funds: &[Fund], msg: ExecuteMsg) {
        if let Who::Hub = sender {
            return;
        }
        let sender = self.sender(sender);
        let funds = self.funds(funds);
        if sender == self.accounts.token {
            if let ExecuteMsg::Receive(receive) = msg {
                if funds.is_empty() {
                    self.token_send(receive.sender, receive.amount.u128(), receive.msg);
                }
                return;
            }
        }
        self.execute(sender, funds, msg);
    }

    /// One transaction: the call and everything it leads to, or nothing.
    pub fn execute(&mut self, sender: Addr, funds: Vec<Coin>, msg: ExecuteMsg) {
        let preview = self.bond_preview(&funds, &msg);
        let saved = self.save();
        match self.call_hub(&sender, &funds, msg) {
            Ok(response) => self.accepted(&response, preview),
            Err(err) => {
                crate::show(&format_args!("rejected: {err:?}"));
                self.restore(saved);
            }
        }
    }

    /// The token's `Send`: moves `shares` from `holder` to the hub and calls its hook. The
    /// token refuses a send of zero or beyond the balance before the hub is called.
    pub fn token_send(&mut self, holder: String, shares: u128, hook: Binary) {
        if shares == 0 || self.chain.token.balance(&holder) < shares {
            return;
        }
        let saved = self.save();
        let hub = self.accounts.hub.to_string();
        self.chain
            .token
            .transfer(&holder, &hub, shares)
            .expect("the balance was checked");
        let msg = ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: holder,
            amount: Uint128::new(shares),
            msg: hook,
        });
        let token = self.accounts.token.clone();
        match self.call_hub(&token, &[], msg) {
            Ok(response) => self.accepted(&response, None),
            Err(err) => {
                crate::show(&format_args!("rejected: {err:?}"));
                self.restore(saved);
            }
        }
    }

    /// A plain derivative transfer; the hub is not called.
    pub fn token_transfer(&mut self, from: &str, to: &str, shares: u128) {
        if self.deps.api.addr_validate(to).is_err() {
            return;
        }
        if self.chain.token.transfer(from, to, shares).is_ok() && to == self.accounts.hub.as_str() {
            self.donated_shares += shares;
        }
    }

    pub(super) fn save(&self) -> Saved {
        Saved {
            storage: self.deps.storage.clone(),
            chain: self.chain.clone(),
            donated_shares: self.donated_shares,
        }
    }

    pub(super) fn restore(&mut self, saved: Saved) {
        self.deps.storage = saved.storage;
        self.chain = saved.chain;
        self.donated_shares = saved.donated_shares;
    }

    /// What a bond would mint, asked before the bond: the bond must then mint exactly that.
    pub(crate) fn bond_preview(&mut self, funds: &[Coin], msg: &ExecuteMsg) -> Option<Uint128> {
        let ExecuteMsg::Bond { .. } = msg else {
            return None;
        };
        let [paid] = funds else {
            return None;
        };
        if paid.denom != DENOM {
            return None;
        }
        let query = QueryMsg::PreviewBond {
            native: paid.amount,
        };
        let binary = self.query_result(query).ok()?;
        Some(from_json(binary).expect("PreviewBond returns an amount"))
    }

    /// Follows an accepted call: records who owns requests and whether the ledger saw the
    /// chain, checks the bond against its preview, then the identities a call is checked
    /// against ([`World::check_after_call`]).
    pub(crate) fn accepted(&mut self, response: &Response, preview: Option<Uint128>) {
        if let Some(action) = response.attributes.iter().find(|a| a.key == "action") {
            crate::show(&format_args!("accepted: {}", action.value));
        }
        for attribute in &response.attributes {
            if attribute.key == "user" {
                self.requesters.insert(attribute.value.clone());
            }
        }
        if response.events.iter().any(|e| e.ty == "flowstake_sync") {
            self.slash_unseen = false;
        }
        if let Some(preview) = preview {
            let minted = response
                .attributes
                .iter()
                .find(|a| a.key == "shares_minted")
                .map(|a| a.value.clone());
            assert_eq!(
                minted,
                Some(preview.to_string()),
                "a bond minted other than its preview"
            );
        }
        self.check_after_call();
    }
}
