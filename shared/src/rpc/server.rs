//! Serving a service's operations: one Service API endpoint per operation, a bounded number of
//! requests in flight, and a drain of in-flight requests on shutdown.

use super::{CallerContext, Reply};
use crate::{
    contracts::Rpc,
    error::ApiError,
    subjects::{Service, Subjects},
};
use async_nats::service::ServiceExt;
use bytes::Bytes;
use futures::{StreamExt, future::BoxFuture, stream::SelectAll};
use prometheus::{HistogramVec, register_histogram_vec};
use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, LazyLock},
    time::Duration,
};
use tokio::sync::Semaphore;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// Requests a replica handles at once; further requests wait in NATS' buffers.
const MAX_IN_FLIGHT: usize = 512;
/// How long a stopping replica waits for its in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

static RPC_SECONDS: LazyLock<Option<HistogramVec>> = LazyLock::new(|| {
    register_histogram_vec!(
        "chatalot_rpc_handler_seconds",
        "Time services spend handling requests, by service, operation and outcome",
        &["service", "operation", "outcome"]
    )
    .ok()
});

/// `ok`, or the error code: a metric label.
type Outcome = &'static str;

type Handler<S> =
    Arc<dyn Fn(S, CallerContext, Bytes) -> BoxFuture<'static, (Outcome, Bytes)> + Send + Sync>;

/// The operations of one service and the state their handlers share.
pub struct RpcRouter<S> {
    service: Service,
    state: S,
    handlers: HashMap<&'static str, Handler<S>>,
}

impl<S: Clone + Send + Sync + 'static> RpcRouter<S> {
    pub fn new(service: Service, state: S) -> Self {
        Self {
            service,
            state,
            handlers: HashMap::new(),
        }
    }

    /// Serves operation `R` with `handler`.
    pub fn route<R, F, Fut>(mut self, handler: F) -> Self
    where
        R: Rpc,
        F: Fn(S, CallerContext, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R::Response, ApiError>> + Send + 'static,
    {
        debug_assert_eq!(
            R::SERVICE,
            self.service,
            "{} routed to the wrong service",
            R::OPERATION
        );
        let handler = Arc::new(handler);
        let erased: Handler<S> = Arc::new(move |state, ctx, payload| {
            let handler = handler.clone();
            Box::pin(async move {
                let result = match serde_json::from_slice::<R>(&payload) {
                    Ok(request) => handler(state, ctx, request).await,
                    Err(err) => Err(ApiError::invalid_request(err.to_string())),
                };
                match result {
                    Ok(response) => ("ok", encode_reply(&Reply::Ok(response))),
                    Err(error) => (
                        error.code.as_str(),
                        encode_reply(&Reply::<()>::Error(error)),
                    ),
                }
            })
        });
        self.handlers.insert(R::OPERATION, erased);
        self
    }

    /// Subscribes every operation and serves requests until `shutdown`, then stops taking new
    /// requests, answers those NATS already delivered to this replica, and waits for those in
    /// flight.
    pub async fn serve(
        self,
        nats: async_nats::Client,
        subjects: &Subjects,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let name = self.service.name();
        let service = nats
            .service_builder()
            .description(format!("Chatalot {name} service"))
            .queue_group(subjects.queue_group(self.service))
            .start(
                format!("chatalot-{name}"),
                env!("CARGO_PKG_VERSION").to_string(),
            )
            .await
            .map_err(|err| anyhow::anyhow!("starting the {name} service on NATS: {err}"))?;
        let group = service.group(subjects.rpc_prefix(self.service));
        let mut requests = SelectAll::new();
        for (operation, handler) in &self.handlers {
            let endpoint = group
                .endpoint(*operation)
                .await
                .map_err(|err| anyhow::anyhow!("subscribing {name}.{operation}: {err}"))?;
            let handler = handler.clone();
            let operation: &'static str = operation;
            requests.push(
                endpoint
                    .map(move |request| (operation, handler.clone(), request))
                    .boxed(),
            );
        }
        tracing::info!(
            service = name,
            operations = self.handlers.len(),
            "serving requests"
        );

        let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let tracker = TaskTracker::new();
        // On shutdown the endpoints unsubscribe, and the requests NATS had already handed to
        // this replica are still answered (dropping them would leave each caller waiting for
        // its timeout, then a 503): the streams end once those are taken.
        let mut service = Some(service);
        let mut drain_until = None;
        loop {
            let next = match drain_until {
                None => tokio::select! {
                    _ = shutdown.cancelled() => {
                        if let Some(service) = service.take()
                            && let Err(err) = service.stop().await
                        {
                            tracing::debug!(service = name, error = %err, "stopping the NATS service");
                        }
                        drain_until = Some(tokio::time::Instant::now() + DRAIN_TIMEOUT);
                        continue;
                    }
                    // A service without operations yet (a skeleton) still runs until shutdown.
                    next = requests.next(), if !requests.is_empty() => next,
                },
                Some(_) if requests.is_empty() => None,
                Some(until) => tokio::time::timeout_at(until, requests.next())
                    .await
                    .ok()
                    .flatten(),
            };
            let Some((operation, handler, request)) = next else {
                break;
            };
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let state = self.state.clone();
            tracker.spawn(async move {
                let _permit = permit;
                if request.message.reply.is_none() {
                    return;
                }
                let ctx = CallerContext::from_headers(request.message.headers.as_ref());
                let started = std::time::Instant::now();
                let (outcome, body) = handler(state, ctx, request.message.payload.clone()).await;
                if let Some(histogram) = RPC_SECONDS.as_ref() {
                    histogram
                        .with_label_values(&[name, operation, outcome])
                        .observe(started.elapsed().as_secs_f64());
                }
                if let Err(err) = request.respond(Ok(body)).await {
                    tracing::warn!(service = name, operation, error = %err, "reply not sent");
                }
            });
        }
        // Requests taken; finish the ones in flight.
        if let Some(service) = service.take()
            && let Err(err) = service.stop().await
        {
            tracing::debug!(service = name, error = %err, "stopping the NATS service");
        }
        drop(requests);
        tracker.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                service = name,
                "in-flight requests still running after the drain timeout"
            );
        }
        tracing::info!(service = name, "stopped serving requests");
        Ok(())
    }
}

fn encode_reply<T: serde::Serialize>(reply: &Reply<T>) -> Bytes {
    match serde_json::to_vec(reply) {
        Ok(body) => body.into(),
        Err(err) => {
            let error = ApiError::internal(anyhow::anyhow!("encoding a reply: {err}"));
            serde_json::to_vec(&Reply::<()>::Error(error))
                .unwrap_or_default()
                .into()
        }
    }
}
