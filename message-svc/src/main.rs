//! The `message-svc` binary. See the library docs.

use chatalot_message::MessageService;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    chatalot_shared::process::run("message-svc", |config, readiness, shutdown| async move {
        let service = MessageService::build(&config, &readiness).await?;
        readiness.mark_started();
        service.run_until_stopped(shutdown).await
    })
    .await
}
