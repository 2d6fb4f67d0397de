// Offline tests of the hand-written layer: no chain needed (scripts/ts-client.sh --check runs
// them). The chain itself is exercised by smoke.test.ts.

import assert from "node:assert/strict";
import { test } from "node:test";

import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { Bip39, EnglishMnemonic, Secp256k1, Secp256k1Signature, sha256, Slip10, Slip10Curve, stringToPath } from "@cosmjs/crypto";
import { decodeTxRaw, makeCosmoshubPath, makeSignBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { BinaryWriter } from "cosmjs-types/binary";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { MsgExecuteContract } from "cosmjs-types/cosmwasm/wasm/v1/tx";

import {
  accountParser,
  FeePayingClient,
  feeFor,
  FlowstakeHubClient,
  FlowstakeTokenClient,
  INJECTIVE_HD_PATH,
  instantUnbond,
  instantUnbondMsg,
  parseDeployment,
  queueUnbond,
  queueUnbondMsg,
  sendToHubMsg,
  walletFromMnemonic,
} from "../src/index";

// The 24-word all-"abandon" test phrase.
const PHRASE = [...Array(23).fill("abandon"), "art"].join(" ");
const ADDRESS = "inj1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v4";

function encodedEthAccount(base: BaseAccount): Uint8Array {
  const writer = BinaryWriter.create();
  writer.uint32((1 << 3) | 2).bytes(BaseAccount.encode(base).finish());
  writer.uint32((2 << 3) | 2).bytes(new Uint8Array([0xc5, 0xd2, 0x46, 0x01]));
  return writer.finish();
}

test("the wallet derives the key at m/44'/60'/0'/0/0", async () => {
  const wallet = await walletFromMnemonic(PHRASE);
  const [account] = await wallet.getAccounts();
  assert.match(account.address, /^inj1[02-9ac-hj-np-z]{38}$/);
  const seed = await Bip39.mnemonicToSeed(new EnglishMnemonic(PHRASE));
  const { privkey } = Slip10.derivePath(Slip10Curve.Secp256k1, seed, stringToPath(INJECTIVE_HD_PATH));
  const pubkey = Secp256k1.compressPubkey((await Secp256k1.makeKeypair(privkey)).pubkey);
  assert.deepEqual(account.pubkey, pubkey);
  const atom = Slip10.derivePath(Slip10Curve.Secp256k1, seed, makeCosmoshubPath(0));
  assert.notDeepEqual(account.pubkey, Secp256k1.compressPubkey((await Secp256k1.makeKeypair(atom.privkey)).pubkey));
});

test("accountParser decodes an EthAccount's base account", () => {
  const key = new Uint8Array(33).fill(2);
  const base = BaseAccount.fromPartial({
    address: ADDRESS,
    pubKey: { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: PubKey.encode({ key }).finish() },
    accountNumber: 42n,
    sequence: 7n,
  });
  const account = accountParser({ typeUrl: "/injective.types.v1beta1.EthAccount", value: encodedEthAccount(base) });
  assert.deepEqual(account, {
    address: ADDRESS,
    pubkey: { type: "tendermint/PubKeySecp256k1", value: Buffer.from(key).toString("base64") },
    accountNumber: 42,
    sequence: 7,
  });
});

test("accountParser keeps an Ethereum-style key's account without its pubkey", () => {
  const base = BaseAccount.fromPartial({
    address: ADDRESS,
    pubKey: {
      typeUrl: "/injective.crypto.v1beta1.ethsecp256k1.PubKey",
      value: PubKey.encode({ key: new Uint8Array(33).fill(3) }).finish(),
    },
    accountNumber: 5n,
    sequence: 0n,
  });
  const account = accountParser({ typeUrl: "/injective.types.v1beta1.EthAccount", value: encodedEthAccount(base) });
  assert.deepEqual(account, { address: ADDRESS, pubkey: null, accountNumber: 5, sequence: 0 });
});

test("accountParser passes other account types to CosmJS", () => {
  const base = BaseAccount.fromPartial({ address: ADDRESS, accountNumber: 1n, sequence: 2n });
  const value = BaseAccount.encode(base).finish();
  assert.deepEqual(accountParser({ typeUrl: "/cosmos.auth.v1beta1.BaseAccount", value }), {
    address: ADDRESS,
    pubkey: null,
    accountNumber: 1,
    sequence: 2,
  });
  assert.throws(() => accountParser({ typeUrl: "/some.Account", value }), /Unsupported type/);
  assert.throws(
    () => accountParser({ typeUrl: "/injective.types.v1beta1.EthAccount", value: new Uint8Array([0x12, 0x01, 0x00]) }),
    /without a base_account/,
  );
});

test("fees are gas times the gas price, rounded up", () => {
  assert.deepEqual(feeFor(150_000), { amount: [{ denom: "inj", amount: "24000000000000" }], gas: "150000" });
  assert.deepEqual(feeFor(3, "0.025uatom"), { amount: [{ denom: "uatom", amount: "1" }], gas: "3" });
  assert.deepEqual(feeFor(40, "0.025uatom").amount, [{ denom: "uatom", amount: "1" }]);
  assert.throws(() => feeFor(0), /positive integer/);
  assert.throws(() => feeFor(1, "inj"), /not a gas price/);
});

test("the hooks' JSON is the hub's ReceiveMsg", () => {
  assert.equal(JSON.stringify(queueUnbondMsg()), '{"queue_unbond":{"receiver":null}}');
  assert.equal(JSON.stringify(queueUnbondMsg(ADDRESS)), `{"queue_unbond":{"receiver":"${ADDRESS}"}}`);
  assert.equal(
    JSON.stringify(instantUnbondMsg({ minNative: 495000n })),
    '{"instant_unbond":{"receiver":null,"min_native":"495000"}}',
  );
  assert.equal(JSON.stringify(instantUnbondMsg()), '{"instant_unbond":{"receiver":null,"min_native":null}}');
  const { send } = sendToHubMsg("inj1hub", "500000", instantUnbondMsg({ minNative: "495000" }));
  assert.deepEqual({ ...send, msg: JSON.parse(Buffer.from(send.msg, "base64").toString()) }, {
    contract: "inj1hub",
    amount: "500000",
    msg: { instant_unbond: { receiver: null, min_native: "495000" } },
  });
  assert.throws(() => sendToHubMsg("inj1hub", -1, queueUnbondMsg()), /non-negative integer/);
  assert.throws(() => instantUnbondMsg({ minNative: "1.5" }), /non-negative integer/);
});

/** A stand-in for SigningCosmWasmClient that records what it is asked. */
function recorder(simulatedGas: number) {
  const calls: { simulated: unknown[]; executed: unknown[] } = { simulated: [], executed: [] };
  const fake = {
    simulate: async (sender: string, messages: unknown[], memo: string | undefined) => {
      calls.simulated.push({ sender, messages, memo });
      return simulatedGas;
    },
    execute: async (...args: unknown[]) => {
      calls.executed.push(args);
      return { transactionHash: "AB", gasUsed: 1n };
    },
    queryContractSmart: async (address: string, query: unknown) => ({ address, query }),
  };
  return { calls, cosmwasm: fake as unknown as SigningCosmWasmClient };
}

test("the generated clients send their JSON through FeePayingClient's fee", async () => {
  const { calls, cosmwasm } = recorder(100_001);
  const client = new FeePayingClient(cosmwasm);
  const token = new FlowstakeTokenClient(client, "inj1me", "inj1token");
  await instantUnbond(token, "inj1hub", 1000n, { minNative: 990 });
  const hook = Buffer.from(JSON.stringify({ instant_unbond: { receiver: null, min_native: "990" } })).toString("base64");
  const msg = { send: { amount: "1000", contract: "inj1hub", msg: hook } };
  const [simulation] = calls.simulated as { messages: { typeUrl: string; value: MsgExecuteContract }[] }[];
  assert.equal(simulation.messages[0].typeUrl, "/cosmwasm.wasm.v1.MsgExecuteContract");
  assert.deepEqual(JSON.parse(Buffer.from(simulation.messages[0].value.msg).toString()), msg);
  assert.equal(simulation.messages[0].value.contract, "inj1token");
  // ceil(100001 * 1.5) = 150002 gas at 160000000inj.
  assert.deepEqual(calls.executed[0], ["inj1me", "inj1token", msg, feeFor(150_002), "", []]);

  await queueUnbond(token, "inj1hub", "5", { fee: 2 });
  assert.deepEqual((calls.executed[1] as unknown[])[3], feeFor(200_002));
  const fixed = feeFor(500_000);
  const hub = new FlowstakeHubClient(client, "inj1me", "inj1hub");
  await hub.bond({ minShares: "10" }, fixed, undefined, [{ denom: "stake", amount: "10" }]);
  assert.equal(calls.simulated.length, 2, "a fixed fee needs no simulation");
  assert.deepEqual(calls.executed[2], [
    "inj1me",
    "inj1hub",
    { bond: { forward: undefined, min_shares: "10", receiver: undefined } },
    fixed,
    "",
    [{ denom: "stake", amount: "10" }],
  ]);
  assert.deepEqual(await hub.previewBond({ native: "7" }), { address: "inj1hub", query: { preview_bond: { native: "7" } } });
});

test("a CosmJS SigningCosmWasmClient signs an execution with the coin-type-60 wallet", async () => {
  const wallet = await walletFromMnemonic(PHRASE);
  const [account] = await wallet.getAccounts();
  const cosmwasm = await SigningCosmWasmClient.offline(wallet);
  const msg = sendToHubMsg("inj1hub", "500000", queueUnbondMsg());
  const fee = feeFor(300_000);
  const signerData = { accountNumber: 12, sequence: 3, chainId: "flowstake-local-1" };
  const message = {
    typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContract",
    value: MsgExecuteContract.fromPartial({
      sender: account.address,
      contract: "inj1token",
      msg: new TextEncoder().encode(JSON.stringify(msg)),
    }),
  };
  const raw = await cosmwasm.sign(account.address, [message], fee, "", signerData);
  const tx = decodeTxRaw(TxRaw.encode(raw).finish());
  assert.equal(tx.body.messages[0].typeUrl, "/cosmwasm.wasm.v1.MsgExecuteContract");
  const decoded = MsgExecuteContract.decode(tx.body.messages[0].value);
  assert.deepEqual(JSON.parse(Buffer.from(decoded.msg).toString()), msg);
  assert.equal(tx.authInfo.fee?.gasLimit, 300_000n);
  assert.deepEqual(tx.authInfo.fee?.amount, fee.amount);
  const signDoc = makeSignDoc(raw.bodyBytes, raw.authInfoBytes, signerData.chainId, signerData.accountNumber);
  const valid = await Secp256k1.verifySignature(
    Secp256k1Signature.fromFixedLength(raw.signatures[0]),
    sha256(makeSignBytes(signDoc)),
    account.pubkey,
  );
  assert.ok(valid, "the signature verifies against the wallet's key");
});

test("parseDeployment checks the operator's deployment file", () => {
  const file = {
    chain_id: "flowstake-local-1",
    hub_code_id: 1,
    token_code_id: 2,
    collector_code_id: 3,
    hub: "inj1hub",
    token: "inj1token",
    collector: "inj1collector",
    height: 100,
  };
  assert.deepEqual(parseDeployment(file), file);
  assert.throws(() => parseDeployment({ ...file, hub: undefined }), /no "hub"/);
  assert.throws(() => parseDeployment({ ...file, height: "100" }), /numeric "height"/);
  assert.throws(() => parseDeployment(null), /JSON object/);
});
