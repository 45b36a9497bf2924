//! Every request, response and event exchanged between Chatalot processes and clients, as typed
//! serde structs. A request knows its service, operation and response type ([`Rpc`]); an event
//! knows its name ([`Event`]). Nothing here knows about HTTP frameworks or databases.
//!
//! Text fields carry the rule the services enforce as an OpenAPI `pattern`, so that clients and
//! schema-driven fuzzing (scripts/check-api-fuzz.sh) see it. Names and other text the services
//! trim before bounding use one shape: `^[W]*` + `[^WC](?:[^C]{0,MAX-2}[^WC])?` (made optional
//! when blank is allowed) + `[W]*$`, where W is Rust's `char::is_whitespace` (what `trim`
//! removes), C is `char::is_control` (minus line feed and tab where text may span lines), and
//! MAX the most characters once trimmed. A plain `maxLength` would let "   " through, which the
//! services refuse.

pub mod attachments;
pub mod auth;
pub mod calls;
pub mod community;
pub mod conversations;
pub mod gateway;
pub mod keys;
pub mod messages;
pub mod notifications;
pub mod permissions;
pub mod presence;
pub mod push;

use crate::subjects::Service;
use serde::{Serialize, de::DeserializeOwned};

/// A request served by one service over NATS request/reply.
pub trait Rpc: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The service that owns the operation.
    const SERVICE: Service;
    /// The operation name, the last token of the subject.
    const OPERATION: &'static str;
    /// What a successful call returns.
    type Response: Serialize + DeserializeOwned + Send + Sync + 'static;
}

/// An event pushed to clients (`{"op":"event","t":NAME,"d":...}`).
pub trait Event: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The event name, in past tense: `user_updated`.
    const NAME: &'static str;
}

/// The empty response of operations that return nothing.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Declares the service, operation and response of request types.
macro_rules! rpc {
    ($($request:ty => $response:ty, $service:ident, $operation:literal;)*) => {
        $(impl $crate::contracts::Rpc for $request {
            const SERVICE: $crate::subjects::Service = $crate::subjects::Service::$service;
            const OPERATION: &'static str = $operation;
            type Response = $response;
        })*
    };
}
pub(crate) use rpc;

/// Names events: `events! { MessageCreated => "message_created"; }`.
macro_rules! events {
    ($($event:ty => $name:literal;)*) => {
        $(impl $crate::contracts::Event for $event {
            const NAME: &'static str = $name;
        })*
    };
}
pub(crate) use events;
