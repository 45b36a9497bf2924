//! The all-in-one Chatalot server: every service and one gateway in a single process, for small
//! installs. It runs exactly the library code the separate binaries run (`gateway`, `auth-svc`,
//! `community-svc`, `message-svc`, `keys-svc`, `signal-svc`); the services still talk to each
//! other over NATS, so an install can later be split into separate processes without changes.
//! The first argument picks what one process runs ([`Role`]): `all` (the default) or a single
//! component (`chatalot gateway`, `chatalot auth`, ...).

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
    readiness.mark_started();
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

/// What one `chatalot` process runs, chosen by its first argument: everything (`all`, the
/// default) or one component, so an install can run several gateways or replicas from the one
/// binary (and tests can run a gateway as a process of its own, to kill it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    All,
    Gateway,
    Auth,
    Community,
    Message,
    Keys,
    Signal,
}

/// The first line of `chatalot --help`.
pub const USAGE: &str = "usage: chatalot [all | gateway | auth | community | message | keys | signal]\n       chatalot openapi    print the REST API's OpenAPI document";

impl Role {
    /// The role named by the command-line arguments (after the program name); `all` without one.
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let role = match args.next().as_deref() {
            None | Some("all") => Role::All,
            Some("gateway") => Role::Gateway,
            Some("auth") => Role::Auth,
            Some("community") => Role::Community,
            Some("message") => Role::Message,
            Some("keys") => Role::Keys,
            Some("signal") => Role::Signal,
            Some(other) => return Err(format!("unknown role {other:?}\n{USAGE}")),
        };
        match args.next() {
            None => Ok(role),
            Some(extra) => Err(format!("unexpected argument {extra:?}\n{USAGE}")),
        }
    }

    /// The process name used in logs and error messages.
    pub fn process_name(self) -> &'static str {
        match self {
            Role::All => "chatalot",
            Role::Gateway => "chatalot-gateway",
            Role::Auth => "chatalot-auth",
            Role::Community => "chatalot-community",
            Role::Message => "chatalot-message",
            Role::Keys => "chatalot-keys",
            Role::Signal => "chatalot-signal",
        }
    }
}

/// Runs `role` until `shutdown`. A gateway prints `gateway listening on <address>` once it
/// accepts connections (with `gateway.listen` on port 0, that is how to learn the port).
pub async fn run(
    role: Role,
    config: &Config,
    readiness: &Readiness,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    match role {
        Role::All => run_all(config, readiness, shutdown).await,
        Role::Gateway => {
            let gateway = Gateway::build(config, readiness).await?;
            readiness.mark_started();
            let addr = gateway.local_addr();
            tracing::info!(%addr, "gateway listening");
            println!("gateway listening on {addr}");
            gateway.run_until_stopped(shutdown).await
        }
        Role::Auth => {
            let service = AuthService::build(config, readiness).await?;
            readiness.mark_started();
            service.run_until_stopped(shutdown).await
        }
        Role::Community => {
            let service = CommunityService::build(config, readiness).await?;
            readiness.mark_started();
            service.run_until_stopped(shutdown).await
        }
        Role::Message => {
            let service = MessageService::build(config, readiness).await?;
            readiness.mark_started();
            service.run_until_stopped(shutdown).await
        }
        Role::Keys => {
            let service = KeysService::build(config, readiness).await?;
            readiness.mark_started();
            service.run_until_stopped(shutdown).await
        }
        Role::Signal => {
            let service = SignalService::build(config, readiness).await?;
            readiness.mark_started();
            service.run_until_stopped(shutdown).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Role, String> {
        Role::from_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn the_first_argument_names_the_role() {
        assert_eq!(parse(&[]), Ok(Role::All));
        assert_eq!(parse(&["all"]), Ok(Role::All));
        assert_eq!(parse(&["gateway"]), Ok(Role::Gateway));
        assert_eq!(parse(&["signal"]), Ok(Role::Signal));
        assert!(parse(&["gatway"]).is_err_and(|e| e.contains("usage")));
        assert!(parse(&["gateway", "extra"]).is_err());
    }
}
