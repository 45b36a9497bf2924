//! The `keys-svc` binary. See the library docs.

use chatalot_keys::KeysService;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("keys-svc", |config, readiness, shutdown| async move {
        let service = KeysService::build(&config, &readiness).await?;
        readiness.mark_started();
        service.run_until_stopped(shutdown).await
    })
    .await
}
