// Quickstart: connect, bond, read the rate and the position, queue an unbond, exit instantly.
//
//   FLOWSTAKE_RPC=http://127.0.0.1:26801 FLOWSTAKE_DEPLOYMENT=hub.json FLOWSTAKE_MNEMONIC="..." \
//     npm run quickstart

import { readFileSync } from "node:fs";

import { connect, contracts, instantUnbond, parseDeployment, queueUnbond } from "../src/index";

async function main(): Promise<void> {
  const { FLOWSTAKE_RPC: rpc, FLOWSTAKE_DEPLOYMENT: file, FLOWSTAKE_MNEMONIC: mnemonic } = process.env;
  if (!rpc || !file || !mnemonic) {
    throw new Error("set FLOWSTAKE_RPC, FLOWSTAKE_DEPLOYMENT and FLOWSTAKE_MNEMONIC");
  }
  const deployment = parseDeployment(JSON.parse(readFileSync(file, "utf8")));

  // A secp256k1 key at m/44'/60'/0'/0/0, Injective's account parser, fees in inj at
  // 160000000inj per gas, "auto" gas at 1.5 times the simulation.
  const connection = await connect({ rpc, mnemonic });
  const { hub, token } = contracts(connection, deployment);
  const { denom } = await hub.config();

  // Bond 10 STAKE (one coin of the staking denom), refusing to mint fewer shares than previewed.
  const native = "10000000";
  const expected = await hub.previewBond({ native });
  const bond = await hub.bond({ minShares: expected }, "auto", undefined, [{ denom, amount: native }]);
  console.log(`bonded ${native}${denom} for ${expected} shares (tx ${bond.transactionHash})`);

  const rate = await hub.redemptionRate();
  const position = await hub.position({ address: connection.address });
  console.log(`rate ${rate.redemption_rate} ${denom} per share, synced at ${rate.update_time}`);
  console.log(`position: ${position.shares} shares worth ${position.native_value}${denom}`);

  // Queue a quarter for the next batch: a cw20 send with {"queue_unbond":{"receiver":null}}.
  const queued = (BigInt(expected) / 4n).toString();
  await queueUnbond(token, deployment.hub, queued);
  console.log(`queued ${queued} shares for unbonding`);

  // Exit another quarter at once from the liquidity buffer. The exit syncs the ledger first, which
  // can book a slash the preview did not see: accept up to 0.1 % below the preview.
  const exit = (BigInt(expected) / 4n).toString();
  const preview = await hub.previewInstantUnbond({ shares: exit });
  if (!preview.payable) {
    console.log(`the buffer holds ${preview.buffer}${denom}, short of ${preview.payout}: no instant exit`);
    return;
  }
  const minNative = (BigInt(preview.payout) * 999n) / 1000n;
  await instantUnbond(token, deployment.hub, exit, { minNative: minNative.toString() });
  console.log(`exited ${exit} shares, previewed at ${preview.payout}${denom} (fee ${preview.fee})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
