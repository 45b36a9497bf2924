//! The `signal-svc` binary. See the library docs.

use chatalot_signal::SignalService;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("signal-svc", |config, readiness, shutdown| async move {
        SignalService::build(&config, &readiness)
            .await?
            .run_until_stopped(shutdown)
            .await
    })
    .await
}
