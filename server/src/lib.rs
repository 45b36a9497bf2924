//! The all-in-one Chatalot server: every service and one gateway in a single process, for small
//! installs. It runs exactly the library code the separate binaries run (`gateway`, `auth-svc`,
//! `community-svc`, `message-svc`, `keys-svc`, `signal-svc`); the services still talk to each
//! other over NATS, so an install can later be split into separate processes without changes.

use chatalot_auth::AuthService;
use chatalot_community::CommunityService;
use chatalot_gateway::Gateway;
use chatalot_keys::KeysService;
use chatalot_message::MessageService;
use chatalot_shared::{config::Config, process::Readiness};
use chatalot_signal::SignalService;
use tokio_util::sync::CancellationToken;

/// Builds every service and the gateway, then runs them until `shutdown`. If any of them fails,
/// the others are stopped too and the first error is returned.
pub async fn run_all(
    config: &Config,
    readiness: &Readiness,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let auth = AuthService::build(config, readiness).await?;
    let community = CommunityService::build(config, readiness).await?;
    let message = MessageService::build(config, readiness).await?;
    let keys = KeysService::build(config, readiness).await?;
    let signal = SignalService::build(config, readiness).await?;
    let gateway = Gateway::build(config, readiness).await?;
    tracing::info!(addr = %gateway.local_addr(), "gateway listening");
    println!("Chatalot is running: open {}", config.gateway.public_url);

    let stop_all = |result: anyhow::Result<()>| {
        if result.is_err() {
            shutdown.cancel();
        }
        result
    };
    let (auth, community, message, keys, signal, gateway) = tokio::join!(
        async { stop_all(auth.run_until_stopped(shutdown.clone()).await) },
        async { stop_all(community.run_until_stopped(shutdown.clone()).await) },
        async { stop_all(message.run_until_stopped(shutdown.clone()).await) },
        async { stop_all(keys.run_until_stopped(shutdown.clone()).await) },
        async { stop_all(signal.run_until_stopped(shutdown.clone()).await) },
        async { stop_all(gateway.run_until_stopped(shutdown.clone()).await) },
    );
    auth.and(community)
        .and(message)
        .and(keys)
        .and(signal)
        .and(gateway)
}
