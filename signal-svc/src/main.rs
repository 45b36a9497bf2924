//! The `signal-svc` binary. See the library docs.

use chatalot_signal::SignalService;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("signal-svc", |config, readiness, shutdown| async move {
        let service = SignalService::build(&config, &readiness).await?;
        readiness.mark_started();
        service.run_until_stopped(shutdown).await
    })
    .await
}
