// @flowstake/client: the generated contract clients (src/generated, from schema/) and what an
// integrator needs on an Injective-family chain such as the localnet: an account parser for
// `EthAccount`, a wallet at the coin-type-60 HD path, fees computed from the chain's gas price,
// and the two hook messages a holder sends to the hub through the token's cw20 `send`.

import { SigningCosmWasmClient, toBinary } from "@cosmjs/cosmwasm-stargate";
import type {
  ExecuteResult,
  MsgExecuteContractEncodeObject,
  SigningCosmWasmClientOptions,
} from "@cosmjs/cosmwasm-stargate";
import { stringToPath } from "@cosmjs/crypto";
import { decodeOptionalPubkey, DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import type { Coin, StdFee } from "@cosmjs/stargate";
import { accountFromAny } from "@cosmjs/stargate";
import { BinaryReader } from "cosmjs-types/binary";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { MsgExecuteContract } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";

import type { ISigningCosmWasmClient } from "./generated/baseClient";
import { FlowstakeCollectorClient, FlowstakeCollectorQueryClient } from "./generated/FlowstakeCollector.client";
import { FlowstakeHubClient, FlowstakeHubQueryClient } from "./generated/FlowstakeHub.client";
import { FlowstakeTokenClient, FlowstakeTokenQueryClient } from "./generated/FlowstakeToken.client";

export * from "./generated/FlowstakeCollector.client";
export * from "./generated/FlowstakeHub.client";
export * from "./generated/FlowstakeToken.client";
export type { ICosmWasmClient, ISigningCosmWasmClient } from "./generated/baseClient";
/** Message and response types of each contract (their names overlap: `ExecuteMsg`, ...). */
export * as HubTypes from "./generated/FlowstakeHub.types";
export * as TokenTypes from "./generated/FlowstakeToken.types";
export * as CollectorTypes from "./generated/FlowstakeCollector.types";

// ---------------------------------------------------------------------------------------------
// Chain settings

/** HD path of keys made with `keys add --algo secp256k1` on Injective (coin type 60). */
export const INJECTIVE_HD_PATH = "m/44'/60'/0'/0/0";
/** Address prefix of Injective accounts. */
export const INJECTIVE_PREFIX = "inj";
/** Injective's minimum gas price: fees are paid in `inj`, at least this much per unit of gas. */
export const INJECTIVE_GAS_PRICE = "160000000inj";
/**
 * Gas asked for over what a simulation used. A simulation runs without the fee, whose handling
 * costs about 28k gas more on Injective, so CosmJS's default of 1.4 runs out of gas: 1.5 works.
 */
export const DEFAULT_GAS_ADJUSTMENT = 1.5;

// ---------------------------------------------------------------------------------------------
// Accounts

const ETH_ACCOUNT = "/injective.types.v1beta1.EthAccount";
const BASE_ACCOUNT = "/cosmos.auth.v1beta1.BaseAccount";

/** The parser type of the SigningCosmWasmClient in use (the CosmJS it is built on). */
export type AccountParser = NonNullable<SigningCosmWasmClientOptions["accountParser"]>;
/** The account record that client expects from its parser. */
export type ParsedAccount = ReturnType<AccountParser>;

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`account ${what} ${value} exceeds the safe integer range`);
  }
  return Number(value);
}

/** `EthAccount`'s field 1 (`base_account`), the encoded BaseAccount; other fields skipped. */
function baseAccountOfEthAccount(value: Uint8Array): Uint8Array {
  const reader = new BinaryReader(value);
  let base: Uint8Array | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      base = reader.bytes();
    } else {
      reader.skipType(tag & 7);
    }
  }
  if (base === undefined) {
    throw new Error(`${ETH_ACCOUNT} without a base_account`);
  }
  return base;
}

function fromBaseAccount(base: BaseAccount): ParsedAccount {
  let pubkey: ParsedAccount["pubkey"] = null;
  try {
    pubkey = decodeOptionalPubkey(base.pubKey);
  } catch {
    // An Ethereum-style key (ethsecp256k1): signing needs only the number and sequence.
    pubkey = null;
  }
  return {
    address: base.address,
    pubkey,
    accountNumber: safeNumber(base.accountNumber, "number"),
    sequence: safeNumber(base.sequence, "sequence"),
  };
}

/**
 * Account parser for SigningCosmWasmClient (and StargateClient) on Injective: accounts are
 * stored as `/injective.types.v1beta1.EthAccount`, which CosmJS's default parser refuses
 * (`Unsupported type`). Its `base_account` (field 1) is decoded as a BaseAccount; every other
 * type goes to CosmJS's own parser.
 */
export const accountParser: AccountParser = (input: Any): ParsedAccount => {
  if (input.typeUrl === ETH_ACCOUNT) {
    return fromBaseAccount(BaseAccount.decode(baseAccountOfEthAccount(input.value)));
  }
  if (input.typeUrl === BASE_ACCOUNT) {
    return fromBaseAccount(BaseAccount.decode(input.value));
  }
  const account = accountFromAny(input);
  return {
    address: account.address,
    pubkey: account.pubkey,
    accountNumber: safeNumber(BigInt(account.accountNumber), "number"),
    sequence: account.sequence,
  };
};

// ---------------------------------------------------------------------------------------------
// Wallet

/** A secp256k1 wallet at `m/44'/60'/0'/0/0` (the key `keys add --algo secp256k1` derives). */
export async function walletFromMnemonic(
  mnemonic: string,
  prefix: string = INJECTIVE_PREFIX,
): Promise<DirectSecp256k1HdWallet> {
  return DirectSecp256k1HdWallet.fromMnemonic(mnemonic.trim(), {
    prefix,
    hdPaths: [stringToPath(INJECTIVE_HD_PATH)],
  });
}

// ---------------------------------------------------------------------------------------------
// Fees

export interface GasPrice {
  /** Fee-denom units per unit of gas, as a decimal string. */
  amount: string;
  denom: string;
}

/** Parses a gas price such as `160000000inj` or `0.025uatom`. */
export function parseGasPrice(text: string): GasPrice {
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z][a-zA-Z0-9/:._-]{1,127})$/.exec(text.trim());
  if (!match) {
    throw new Error(`not a gas price: "${text}" (expected an amount and a denom, e.g. 160000000inj)`);
  }
  return { amount: match[1], denom: match[2] };
}

/**
 * A transaction fee: what CosmJS calls `StdFee`, with a mutable coin list so that the
 * generated clients' fee parameter takes it too.
 */
export interface Fee {
  amount: Coin[];
  gas: string;
  granter?: string;
  payer?: string;
}

/** The fee for `gas` units at `gasPrice`, rounded up to a whole unit of the fee denom. */
export function feeFor(gas: number, gasPrice: GasPrice | string = INJECTIVE_GAS_PRICE): Fee {
  if (!Number.isSafeInteger(gas) || gas <= 0) {
    throw new Error(`gas must be a positive integer, not ${gas}`);
  }
  const price = typeof gasPrice === "string" ? parseGasPrice(gasPrice) : gasPrice;
  const [whole, fraction = ""] = price.amount.split(".");
  const scale = 10n ** BigInt(fraction.length);
  const atomics = BigInt(whole + fraction);
  const amount = (BigInt(gas) * atomics + scale - 1n) / scale;
  return { amount: [{ denom: price.denom, amount: amount.toString() }], gas: gas.toString() };
}

export interface FeePolicy {
  /** Gas price of the chain, `160000000inj` by default. */
  gasPrice?: GasPrice | string;
  /** Multiplier on the simulated gas for `"auto"`, 1.5 by default. */
  gasAdjustment?: number;
}

/**
 * The signing side the generated clients call (`execute` and `queryContractSmart`), over a
 * CosmJS SigningCosmWasmClient. It computes fees itself: `"auto"` simulates and asks for the
 * simulated gas times `gasAdjustment`, a number is used as that multiplier, a `StdFee` is sent
 * as it is. The SigningCosmWasmClient needs no gas price of its own (it is built on another
 * copy of @cosmjs/stargate than 0.39's and refuses a `GasPrice` made by the latter).
 */
export class FeePayingClient implements ISigningCosmWasmClient {
  readonly gasPrice: GasPrice;
  readonly gasAdjustment: number;

  constructor(
    readonly cosmwasm: SigningCosmWasmClient,
    policy: FeePolicy = {},
  ) {
    const gasPrice = policy.gasPrice ?? INJECTIVE_GAS_PRICE;
    this.gasPrice = typeof gasPrice === "string" ? parseGasPrice(gasPrice) : gasPrice;
    this.gasAdjustment = policy.gasAdjustment ?? DEFAULT_GAS_ADJUSTMENT;
  }

  queryContractSmart(address: string, query: Record<string, unknown>): Promise<any> {
    return this.cosmwasm.queryContractSmart(address, query);
  }

  /** The fee an execution would be sent with under `fee` ("auto", a multiplier or a fee). */
  async estimateFee(
    sender: string,
    contract: string,
    msg: Record<string, unknown>,
    fee: number | StdFee | "auto" = "auto",
    memo = "",
    funds: readonly Coin[] = [],
  ): Promise<StdFee> {
    if (typeof fee === "object") {
      return fee;
    }
    const multiplier = fee === "auto" ? this.gasAdjustment : fee;
    const message: MsgExecuteContractEncodeObject = {
      typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContract",
      value: MsgExecuteContract.fromPartial({
        sender,
        contract,
        msg: new TextEncoder().encode(JSON.stringify(msg)),
        funds: [...funds],
      }),
    };
    const simulated = await this.cosmwasm.simulate(sender, [message], memo);
    return feeFor(Math.ceil(simulated * multiplier), this.gasPrice);
  }

  async execute(
    sender: string,
    contract: string,
    msg: Record<string, unknown>,
    fee: number | StdFee | "auto" = "auto",
    memo = "",
    funds: readonly Coin[] = [],
  ): Promise<ExecuteResult> {
    const stdFee = await this.estimateFee(sender, contract, msg, fee, memo, funds);
    return this.cosmwasm.execute(sender, contract, msg, stdFee, memo, funds);
  }
}

// ---------------------------------------------------------------------------------------------
// Connecting

export interface ConnectOptions extends FeePolicy {
  /** CometBFT RPC endpoint, e.g. http://127.0.0.1:26801 for the localnet. */
  rpc: string;
  mnemonic: string;
  /** Bech32 prefix, `inj` by default. */
  prefix?: string;
}

export interface Connection {
  /** The signer's address. */
  address: string;
  /** The CosmJS client (with the Injective account parser), for bank queries and the like. */
  cosmwasm: SigningCosmWasmClient;
  /** What the generated clients take as their client. */
  client: FeePayingClient;
}

/** Connects a signing client for the key of `mnemonic` at the coin-type-60 path. */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const wallet = await walletFromMnemonic(options.mnemonic, options.prefix ?? INJECTIVE_PREFIX);
  const [account] = await wallet.getAccounts();
  const cosmwasm = await SigningCosmWasmClient.connectWithSigner(options.rpc, wallet, {
    accountParser,
  });
  return { address: account.address, cosmwasm, client: new FeePayingClient(cosmwasm, options) };
}

// ---------------------------------------------------------------------------------------------
// Deployments

/** The deployment file the operator tool's `deploy` writes. */
export interface Deployment {
  chain_id: string;
  hub_code_id: number;
  token_code_id: number;
  collector_code_id: number;
  hub: string;
  token: string;
  collector: string;
  /** Height of the instantiation. */
  height: number;
}

/** Checks a parsed deployment file (JSON) and returns it typed. */
export function parseDeployment(json: unknown): Deployment {
  if (typeof json !== "object" || json === null) {
    throw new Error("a deployment file holds a JSON object");
  }
  const record = json as Record<string, unknown>;
  for (const key of ["chain_id", "hub", "token", "collector"]) {
    if (typeof record[key] !== "string" || record[key] === "") {
      throw new Error(`the deployment file has no "${key}"`);
    }
  }
  for (const key of ["hub_code_id", "token_code_id", "collector_code_id", "height"]) {
    if (typeof record[key] !== "number") {
      throw new Error(`the deployment file has no numeric "${key}"`);
    }
  }
  return record as unknown as Deployment;
}

export interface FlowstakeContracts {
  hub: FlowstakeHubClient;
  token: FlowstakeTokenClient;
  collector: FlowstakeCollectorClient;
}

/** Signing clients of the three contracts of a deployment, for `connection`'s signer. */
export function contracts(connection: Connection, deployment: Deployment): FlowstakeContracts {
  const { client, address } = connection;
  return {
    hub: new FlowstakeHubClient(client, address, deployment.hub),
    token: new FlowstakeTokenClient(client, address, deployment.token),
    collector: new FlowstakeCollectorClient(client, address, deployment.collector),
  };
}

/** Query-only clients (a CosmWasmClient or any `queryContractSmart` will do). */
export function queryContracts(
  client: { queryContractSmart(address: string, query: Record<string, unknown>): Promise<any> },
  deployment: Deployment,
): { hub: FlowstakeHubQueryClient; token: FlowstakeTokenQueryClient; collector: FlowstakeCollectorQueryClient } {
  return {
    hub: new FlowstakeHubQueryClient(client, deployment.hub),
    token: new FlowstakeTokenQueryClient(client, deployment.token),
    collector: new FlowstakeCollectorQueryClient(client, deployment.collector),
  };
}

// ---------------------------------------------------------------------------------------------
// The hub's cw20 hooks

/** Amount of a Uint128 field: a decimal string, a bigint or a safe integer. */
export type Amount = string | bigint | number;

function uint128(value: Amount, what: string): string {
  const text = typeof value === "string" ? value : value.toString();
  if (!/^\d+$/.test(text) || (typeof value === "number" && !Number.isSafeInteger(value))) {
    throw new Error(`${what} must be a non-negative integer, not ${String(value)}`);
  }
  return BigInt(text).toString();
}

/**
 * The hub's `ReceiveMsg`: the hook of a cw20 `send` of the derivative to the hub
 * (packages/flowstake/src/hub.rs).
 */
export type ReceiveMsg =
  | { queue_unbond: { receiver: string | null } }
  | { instant_unbond: { receiver: string | null; min_native: string | null } };

/** `{"queue_unbond":{"receiver":...}}`: queue the sent derivative for unbonding. */
export function queueUnbondMsg(receiver?: string): ReceiveMsg {
  return { queue_unbond: { receiver: receiver ?? null } };
}

/**
 * `{"instant_unbond":{"receiver":...,"min_native":"..."}}`: exit at once from the liquidity
 * buffer; refused, with nothing moved, when it would pay less than `minNative`.
 */
export function instantUnbondMsg(options: { minNative?: Amount; receiver?: string } = {}): ReceiveMsg {
  return {
    instant_unbond: {
      receiver: options.receiver ?? null,
      min_native: options.minNative === undefined ? null : uint128(options.minNative, "min_native"),
    },
  };
}

/** The token's `send` message carrying `hook` to `hub` (the JSON the chain sees). */
export function sendToHubMsg(hub: string, shares: Amount, hook: ReceiveMsg) {
  return { send: { contract: hub, amount: uint128(shares, "shares"), msg: toBinary(hook) } };
}

export interface TxOptions {
  /** "auto" (default), a gas multiplier, or a fixed fee (see `feeFor`). */
  fee?: number | Fee | "auto";
  memo?: string;
}

/** Queues `shares` of the derivative for unbonding (a cw20 `send` to the hub). */
export function queueUnbond(
  token: FlowstakeTokenClient,
  hub: string,
  shares: Amount,
  options: TxOptions & { receiver?: string } = {},
): Promise<ExecuteResult> {
  const { send } = sendToHubMsg(hub, shares, queueUnbondMsg(options.receiver));
  return token.send(send, options.fee ?? "auto", options.memo);
}

/**
 * Exits at once: sends `shares` to the hub with the `instant_unbond` hook. Pass the `payout` of
 * `preview_instant_unbond` as `minNative` to be paid at least that.
 */
export function instantUnbond(
  token: FlowstakeTokenClient,
  hub: string,
  shares: Amount,
  options: TxOptions & { minNative?: Amount; receiver?: string } = {},
): Promise<ExecuteResult> {
  const hook = instantUnbondMsg({ minNative: options.minNative, receiver: options.receiver });
  const { send } = sendToHubMsg(hub, shares, hook);
  return token.send(send, options.fee ?? "auto", options.memo);
}
