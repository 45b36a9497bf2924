//! The `gateway` binary: one public HTTP and WebSocket endpoint. See the library docs.

use chatalot_gateway::Gateway;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("gateway", |config, readiness, shutdown| async move {
        let gateway = Gateway::build(&config, &readiness).await?;
        readiness.mark_started();
        tracing::info!(url = %config.gateway.public_url, addr = %gateway.local_addr(), "gateway listening");
        gateway.run_until_stopped(shutdown).await
    })
    .await
}
