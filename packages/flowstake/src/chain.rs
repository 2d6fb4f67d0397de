//! Protobuf messages the chain returns to the hub in `msg_responses`, as x/staking defines
//! them (`cosmos.staking.v1beta1`). Only the fields the hub reads are declared.

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoTimestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `cosmos.base.v1beta1.Coin`: the amount is a decimal integer string.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoCoin {
    #[prost(string, tag = "1")]
    pub denom: String,
    #[prost(string, tag = "2")]
    pub amount: String,
}

/// Type URL of [`MsgUndelegateResponse`] in `msg_responses`.
pub const MSG_UNDELEGATE_RESPONSE_TYPE_URL: &str = "/cosmos.staking.v1beta1.MsgUndelegateResponse";

/// `cosmos.staking.v1beta1.MsgUndelegateResponse`: when the unbonding entry completes and how
/// much the chain actually unbonded (after share rounding).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUndelegateResponse {
    #[prost(message, optional, tag = "1")]
    pub completion_time: Option<ProtoTimestamp>,
    #[prost(message, optional, tag = "2")]
    pub amount: Option<ProtoCoin>,
}

impl MsgUndelegateResponse {
    /// The response x/staking gives for an undelegation of `amount` completing at
    /// `completion` (to the nanosecond).
    pub fn new(completion: cosmwasm_std::Timestamp, amount: &cosmwasm_std::Coin) -> Self {
        Self {
            completion_time: Some(ProtoTimestamp {
                seconds: i64::try_from(completion.seconds()).unwrap_or(i64::MAX),
                nanos: i32::try_from(completion.subsec_nanos()).unwrap_or(0),
            }),
            amount: Some(ProtoCoin {
                denom: amount.denom.clone(),
                amount: amount.amount.to_string(),
            }),
        }
    }
}
