//! The auth-svc binary: configuration, logging, the admin port and SIGTERM handling come from
//! `chatalot_shared::process::run`; everything else is [`chatalot_auth::AuthService`].

use chatalot_auth::AuthService;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("auth-svc", |config, readiness, shutdown| async move {
        let service = AuthService::build(&config, &readiness).await?;
        readiness.mark_started();
        service.run_until_stopped(shutdown).await
    })
    .await
}
