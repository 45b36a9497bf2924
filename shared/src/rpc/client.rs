//! Calling a service: typed request in, typed response or [`ApiError`] out, never a hang.

use super::{CallerContext, Reply};
use crate::{contracts::Rpc, error::ApiError, subjects::Subjects};
use async_nats::{RequestErrorKind, client::Request};
use std::time::Duration;

/// A cheap-to-clone handle for calling services over NATS.
#[derive(Clone, Debug)]
pub struct RpcClient {
    nats: async_nats::Client,
    subjects: Subjects,
    timeout: Duration,
}

impl RpcClient {
    pub fn new(nats: async_nats::Client, subjects: Subjects, timeout: Duration) -> Self {
        Self {
            nats,
            subjects,
            timeout,
        }
    }

    /// Sends `request` to the owning service and waits at most the configured timeout.
    /// No responder, a timeout or a lost NATS connection all become 503 `service_unavailable`.
    pub async fn call<R: Rpc>(
        &self,
        ctx: &CallerContext,
        request: &R,
    ) -> Result<R::Response, ApiError> {
        let service = R::SERVICE.name();
        let payload = serde_json::to_vec(request).map_err(ApiError::internal)?;
        let subject = self.subjects.rpc(R::SERVICE, R::OPERATION);
        let request = Request::new()
            .payload(payload.into())
            .headers(ctx.to_headers())
            .timeout(Some(self.timeout));
        let message = self
            .nats
            .send_request(subject, request)
            .await
            .map_err(|err| match err.kind() {
                RequestErrorKind::NoResponders => {
                    ApiError::service_unavailable(format!("the {service} service is not running"))
                }
                RequestErrorKind::TimedOut => ApiError::service_unavailable(format!(
                    "the {service} service did not answer within {} ms",
                    self.timeout.as_millis()
                )),
                RequestErrorKind::Other => {
                    tracing::warn!(error = %err, service, "request failed");
                    ApiError::service_unavailable(format!(
                        "the {service} service cannot be reached"
                    ))
                }
            })?;
        match serde_json::from_slice::<Reply<R::Response>>(&message.payload) {
            Ok(Reply::Ok(response)) => Ok(response),
            Ok(Reply::Error(error)) => Err(error),
            Err(err) => Err(ApiError::internal(anyhow::anyhow!(
                "undecodable reply from {service}.{}: {err}",
                R::OPERATION
            ))),
        }
    }
}
