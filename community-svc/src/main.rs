//! The `community-svc` binary. See the library docs.

use chatalot_community::CommunityService;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("community-svc", |config, readiness, shutdown| async move {
        let service = CommunityService::build(&config, &readiness).await?;
        readiness.mark_started();
        service.run_until_stopped(shutdown).await
    })
    .await
}
