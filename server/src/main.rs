//! The `chatalot` binary: every service and a gateway in one process. See the library docs.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("chatalot", |config, readiness, shutdown| async move {
        chatalot::run_all(&config, &readiness, shutdown).await
    })
    .await
}
