//! The `community-svc` binary. See the library docs.

use chatalot_community::CommunityService;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("community-svc", |config, readiness, shutdown| async move {
        CommunityService::build(&config, &readiness)
            .await?
            .run_until_stopped(shutdown)
            .await
    })
    .await
}
