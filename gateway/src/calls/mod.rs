//! Call commands arriving on WebSockets, forwarded to signal-svc. PLACEHOLDER: completed by the
//! calls work.

use chatalot_shared::{
    contracts::calls::{CallCommand, CommandReply},
    error::ApiError,
    rpc::Caller,
};

/// Forwards call commands with the connection they came from.
#[derive(Clone, Default)]
pub struct CallRelay {}

impl CallRelay {
    /// Runs one command of `caller` on connection `connection_id`; the reply to send back.
    pub async fn command(
        &self,
        caller: Caller,
        connection_id: u64,
        command: CallCommand,
    ) -> CommandReply {
        let _ = (caller, connection_id);
        CommandReply {
            reference: command.reference,
            ok: None,
            error: Some(ApiError::service_unavailable("calls are not available yet")),
        }
    }

    /// The connection ended: its user's call participation starts its grace period.
    pub async fn connection_closed(&self, caller: Caller, connection_id: u64) {
        let _ = (caller, connection_id);
    }
}
