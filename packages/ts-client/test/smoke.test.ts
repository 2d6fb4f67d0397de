// End-to-end smoke test of the client on a running chain (the localnet): bond, read the rate and
// the position, queue an unbond, exit instantly, each checked against the hub's own figures
// and the bank. Inputs come from the environment (see README.md):
//
//   FLOWSTAKE_RPC         CometBFT RPC endpoint, e.g. http://127.0.0.1:26801
//   FLOWSTAKE_DEPLOYMENT  deployment file written by `flowstake deploy` (a hub with a buffer)
//   FLOWSTAKE_MNEMONIC    mnemonic of a funded secp256k1 key (a localnet user)
//   FLOWSTAKE_BOND        optional: native to bond, 2000000000 by default
//
// Run it on a hub no keeper is cranking: a harvest between a preview and its transaction would
// move the rate and the exact comparisons with it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  connect,
  contracts,
  instantUnbond,
  INJECTIVE_GAS_PRICE,
  parseDeployment,
  parseGasPrice,
  queueUnbond,
} from "../src/index";
import type { HubTypes } from "../src/index";

const REQUIRED = ["FLOWSTAKE_RPC", "FLOWSTAKE_DEPLOYMENT", "FLOWSTAKE_MNEMONIC"] as const;

function environment() {
  const missing = REQUIRED.filter((name) => !process.env[name]?.trim());
  if (missing.length > 0) {
    throw new Error(
      `the smoke test needs ${missing.join(", ")} in the environment: FLOWSTAKE_RPC (the node's ` +
        "RPC endpoint), FLOWSTAKE_DEPLOYMENT (a deployment file of `flowstake deploy`), " +
        "FLOWSTAKE_MNEMONIC (a funded key); see packages/ts-client/README.md",
    );
  }
  const bond = process.env.FLOWSTAKE_BOND?.trim() || "2000000000";
  assert.match(bond, /^\d+$/, "FLOWSTAKE_BOND must be an integer amount of the staking denom");
  let deployment;
  const path = process.env.FLOWSTAKE_DEPLOYMENT!;
  try {
    deployment = parseDeployment(JSON.parse(readFileSync(path, "utf8")));
  } catch (err) {
    throw new Error(`cannot read the deployment file ${path}: ${(err as Error).message}`);
  }
  return {
    rpc: process.env.FLOWSTAKE_RPC!.trim(),
    mnemonic: process.env.FLOWSTAKE_MNEMONIC!,
    deployment,
    bond: BigInt(bond),
  };
}

/** floor(a * b / c), as the hub's `checked_multiply_ratio` computes it. */
function mulDiv(a: bigint, b: bigint, c: bigint): bigint {
  return (a * b) / c;
}

/** cosmwasm_std::Decimal of total_native / total_shares, rounded down, as the hub prints it. */
function decimalRatio(numerator: bigint, denominator: bigint): string {
  const atomics = (numerator * 10n ** 18n) / denominator;
  const whole = atomics / 10n ** 18n;
  const fraction = (atomics % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return fraction === "" ? whole.toString() : `${whole}.${fraction}`;
}

const QUEUED = 100_000_000n;
const EXITED = 100_000_000n;

test("bond, rate and position, queue an unbond, exit instantly", async (t) => {
  const env = environment();
  let connection;
  try {
    connection = await connect({ rpc: env.rpc, mnemonic: env.mnemonic });
  } catch (err) {
    throw new Error(`cannot connect to ${env.rpc} with FLOWSTAKE_MNEMONIC's key: ${(err as Error).message}`);
  }
  const { address, cosmwasm } = connection;
  const chainId = await cosmwasm.getChainId();
  assert.equal(chainId, env.deployment.chain_id, "the node serves another chain than the deployment's");
  const { hub, token } = contracts(connection, env.deployment);
  const config = await hub.config();
  assert.equal(config.token, env.deployment.token, "the hub's token is the deployment's");
  const denom = config.denom;
  const feeDenom = parseGasPrice(INJECTIVE_GAS_PRICE).denom;
  assert.notEqual(denom, feeDenom, "bank deltas below assume fees are paid in another denom");

  const shares = async () => BigInt((await token.balance({ address })).balance);
  const bank = async () => BigInt((await cosmwasm.getBalance(address, denom)).amount);

  await t.test("bond mints what preview_bond promised", async () => {
    const state = await hub.state();
    const preview = BigInt(await hub.previewBond({ native: env.bond.toString() }));
    assert.equal(
      preview,
      mulDiv(env.bond, BigInt(state.total_shares), BigInt(state.total_native)),
      "preview_bond is the deposit at the state's rate, rounded down",
    );
    const before = await shares();
    const result = await hub.bond({ minShares: preview.toString() }, "auto", undefined, [
      { denom, amount: env.bond.toString() },
    ]);
    t.diagnostic(`bond ${env.bond}${denom}: ${preview} shares, gas ${result.gasUsed}, tx ${result.transactionHash}`);
    assert.equal((await shares()) - before, preview, "shares minted = preview_bond");
    const after = await hub.state();
    assert.equal(BigInt(after.total_native) - BigInt(state.total_native), env.bond);
    assert.equal(BigInt(after.total_shares) - BigInt(state.total_shares), preview);
  });

  await t.test("the rate and the position match the state and the token", async () => {
    const [rate, state, position, balance] = await Promise.all([
      hub.redemptionRate(),
      hub.state(),
      hub.position({ address }),
      shares(),
    ]);
    const totalNative = BigInt(state.total_native);
    const totalShares = BigInt(state.total_shares);
    assert.equal(rate.redemption_rate, state.exchange_rate);
    assert.equal(rate.redemption_rate, decimalRatio(totalNative, totalShares));
    assert.equal(rate.update_time, state.last_sync);
    assert.equal(position.address, address);
    assert.equal(BigInt(position.shares), balance, "position shares = token balance");
    assert.equal(BigInt(position.native_value), mulDiv(balance, totalNative, totalShares));
    const whole = await hub.previewInstantUnbond({ shares: position.shares });
    assert.deepEqual(position.instant_exit, whole, "position's instant exit = its preview");
    t.diagnostic(`rate ${rate.redemption_rate}, ${balance} shares worth ${position.native_value}${denom}`);
  });

  await t.test("queue_unbond puts the shares in the pending batch", async () => {
    const pendingShares = (requests: HubTypes.UnbondRequestResponse[]) =>
      requests.filter((r) => r.status === "pending").reduce((sum, r) => sum + BigInt(r.shares), 0n);
    const [batch, position, before] = await Promise.all([
      hub.pendingBatch(),
      hub.position({ address }),
      shares(),
    ]);
    assert.ok(before >= QUEUED, `the account holds ${before} shares, fewer than ${QUEUED}`);
    assert.ok(!position.more_requests, "the account has too many requests for this check: use a fresh one");
    const result = await queueUnbond(token, env.deployment.hub, QUEUED);
    t.diagnostic(`queue_unbond ${QUEUED}: gas ${result.gasUsed}, tx ${result.transactionHash}`);
    const [batchAfter, positionAfter] = await Promise.all([hub.pendingBatch(), hub.position({ address })]);
    assert.equal(before - (await shares()), QUEUED, "the token left the account");
    assert.equal(batchAfter.id, batch.id, "no batch was submitted meanwhile (is a keeper running?)");
    assert.equal(BigInt(batchAfter.shares) - BigInt(batch.shares), QUEUED);
    assert.equal(pendingShares(positionAfter.requests) - pendingShares(position.requests), QUEUED);
  });

  await t.test("instant_unbond pays exactly the preview's payout on a synced ledger", async () => {
    // A preview values the stored ledger; instant_unbond syncs it first. A delegation to a
    // validator slashed earlier (tokens/shares no longer 1) is worth up to a unit less than was
    // delegated, so the first sync after a bond may book a unit or two as slashed and lower the
    // payout. Sync here, so that the preview and the exit see the same ledger.
    const synced = await hub.sync();
    t.diagnostic(`sync: gas ${synced.gasUsed}, tx ${synced.transactionHash}`);
    const preview = await hub.previewInstantUnbond({ shares: EXITED.toString() });
    assert.ok(
      preview.payable,
      `the buffer (${preview.buffer}${denom}) cannot pay ${preview.payout}: deploy the hub with ` +
        "--buffer-target 0.1 (and --exit-fee 0.005)",
    );
    const [state, before, wallet] = await Promise.all([hub.state(), shares(), bank()]);
    assert.equal(BigInt(preview.native), mulDiv(EXITED, BigInt(state.total_native), BigInt(state.total_shares)));
    assert.equal(BigInt(preview.payout), BigInt(preview.native) - BigInt(preview.fee));
    const result = await instantUnbond(token, env.deployment.hub, EXITED, { minNative: preview.payout });
    t.diagnostic(
      `instant_unbond ${EXITED}: paid ${preview.payout}${denom}, fee ${preview.fee}, gas ${result.gasUsed}, tx ${result.transactionHash}`,
    );
    const after = await hub.state();
    assert.equal((await bank()) - wallet, BigInt(preview.payout), "the bank balance rose by the payout");
    assert.equal(before - (await shares()), EXITED, "the shares were burnt from the account");
    assert.equal(BigInt(after.totals.instant_paid ?? "0") - BigInt(state.totals.instant_paid ?? "0"), BigInt(preview.payout));
    assert.equal(BigInt(after.totals.exit_fees ?? "0") - BigInt(state.totals.exit_fees ?? "0"), BigInt(preview.fee));
    assert.equal(BigInt(state.buffer) - BigInt(after.buffer), BigInt(preview.payout), "paid from the buffer");
    assert.equal(BigInt(state.total_native) - BigInt(after.total_native), BigInt(preview.payout), "the fee stays");
    assert.equal(BigInt(state.total_shares) - BigInt(after.total_shares), EXITED);
  });
});
