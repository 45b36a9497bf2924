//! Typed, layered configuration: built-in defaults, then an optional TOML file, then
//! `CHATALOT_<SECTION>__<KEY>` environment variables. Unknown keys are an error, so a typo is
//! caught at start-up instead of being silently ignored.
//!
//! Every process reads the same [`Config`]; each uses only the sections it needs.

use crate::secret::Secret;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// The environment variable naming an optional TOML configuration file.
pub const CONFIG_FILE_ENV: &str = "CHATALOT_CONFIG";

/// The whole configuration of a Chatalot process.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub nats: NatsConfig,
    pub database: DatabaseConfig,
    pub redis: RedisConfig,
    pub telemetry: TelemetryConfig,
    pub admin: AdminConfig,
    pub gateway: GatewayConfig,
    pub jwt: JwtConfig,
    pub auth: AuthConfig,
    pub attachments: AttachmentsConfig,
    pub presence: PresenceConfig,
    pub calls: CallsConfig,
    pub push: PushConfig,
}

/// How to reach NATS and which part of its subject space this deployment uses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsConfig {
    /// NATS server URL(s), comma separated.
    pub url: String,
    /// Prefix of every subject, so several deployments (or tests) can share one NATS.
    pub namespace: String,
    /// How long a caller waits for a service's reply before answering 503.
    pub request_timeout_ms: u64,
}

/// The PostgreSQL database shared by all services (each service has its own schema in it).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Connection URL; may carry a password, so it never prints.
    pub url: Secret,
    /// Maximum connections per service pool.
    pub max_connections: u32,
}

/// Redis, for what may be lost and rebuilt: presence, rate limits, ephemeral state.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    pub url: Secret,
    /// Prefix of every key, so several deployments (or tests) can share one Redis.
    pub key_prefix: String,
}

/// Log output.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// A tracing filter, for example `info` or `chatalot_gateway=debug,info`.
    pub log_filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The internal admin port of a process: `/metrics`, `/healthz`, `/readyz`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Address of the admin listener; keep it off the public network.
    pub listen: SocketAddr,
}

/// The public HTTP and WebSocket surface.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    pub listen: SocketAddr,
    /// The URL users open; printed at start-up.
    pub public_url: String,
    /// Directory of the built web client served at `/`, if any.
    pub web_root: Option<PathBuf>,
    /// Largest accepted REST request body.
    pub max_body_bytes: usize,
    /// Largest accepted WebSocket message (close code 1009 above it).
    pub ws_max_message_bytes: usize,
    /// Per-connection read buffer; small, since most connections are idle.
    pub ws_read_buffer_bytes: usize,
    /// Per-connection write buffer; frames are coalesced up to this size before a flush.
    pub ws_write_buffer_bytes: usize,
    /// Frames queued for one connection before it counts as too slow and is closed.
    pub ws_outgoing_queue: usize,
    /// How often clients must send a heartbeat.
    pub heartbeat_interval_ms: u64,
    /// How long a client may send nothing before it is dropped.
    pub heartbeat_timeout_ms: u64,
    /// How long a new connection may wait before identifying.
    pub identify_timeout_ms: u64,
    /// How long a draining gateway waits for in-flight requests after SIGTERM.
    pub drain_timeout_ms: u64,
    /// Heartbeats and activity reports one connection may send per second, after a burst of
    /// `ws_frame_burst` (call commands have their own limit, `calls.command_*`).
    pub ws_frames_per_sec: u32,
    pub ws_frame_burst: u32,
    /// Web origins besides the public URL's that may call the API and open WebSockets from a
    /// browser (`["https://chat.example.com"]`); no others get CORS answers.
    pub allowed_origins: Vec<String>,
    /// Also allows the Chatalot desktop app's web view (`tauri://localhost` on Linux and macOS,
    /// `http://tauri.localhost` on Windows). Safe by default: the API authenticates with bearer
    /// tokens only, never cookies, so an allowed origin gains nothing a page does not already
    /// hold; turn it off to admit browsers only.
    pub allow_desktop_app: bool,
    /// `Strict-Transport-Security` max-age; 0 (the default) sends none. Set it only when the
    /// gateway is reached over TLS.
    pub hsts_max_age_secs: u64,
}

/// Access token signing (auth-svc) and verification (gateway).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwtConfig {
    /// Ed25519 private key, PKCS#8 PEM. Needed by auth-svc.
    pub private_key: Secret,
    /// Ed25519 public key, SPKI PEM. Needed by gateways; derived from the private key when empty.
    pub public_key: String,
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: u64,
}

/// Accounts, passwords, sessions and login throttling.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// argon2id memory cost in KiB (OWASP minimum: 19456).
    pub argon2_memory_kib: u32,
    /// argon2id iterations (OWASP minimum with 19 MiB: 2).
    pub argon2_iterations: u32,
    /// argon2id lanes.
    pub argon2_parallelism: u32,
    /// Password hashes computed at once; bounds memory during a login storm.
    pub hash_concurrency: usize,
    /// Lifetime of a session that is not used.
    pub refresh_token_ttl_days: u64,
    /// A rotated refresh token may be presented once more within this window (lost response).
    pub refresh_retry_grace_secs: u64,
    /// Login attempts per client IP per window.
    pub login_ip_limit: u32,
    pub login_ip_window_secs: u64,
    /// Failed logins per account per window.
    pub login_account_limit: u32,
    pub login_account_window_secs: u64,
    /// Registrations per client IP per window.
    pub register_ip_limit: u32,
    pub register_ip_window_secs: u64,
}

/// Uploaded files: where their bytes are kept, how large they may be, and when uploads that no
/// message uses are deleted. Gateways store and serve the bytes; message-svc keeps their records.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// Where the bytes go: a local directory (created if missing), or `s3://<bucket>[/<prefix>]`
    /// for Amazon S3 or any S3-compatible store (see `s3_endpoint`).
    pub store: String,
    /// Endpoint of an S3-compatible store (MinIO, Garage, R2, ...); empty for Amazon S3.
    pub s3_endpoint: String,
    /// Region of the bucket (S3-compatible stores usually accept any value).
    pub s3_region: String,
    /// Access key id; when both keys are empty the standard `AWS_*` variables and instance
    /// credentials are used.
    pub s3_access_key_id: Secret,
    /// Secret access key that goes with `s3_access_key_id`.
    pub s3_secret_access_key: Secret,
    /// Allows a plain `http://` endpoint (a store on the same private network only).
    pub s3_allow_http: bool,
    /// Largest accepted file; larger uploads are refused with 413 `payload_too_large`.
    pub max_bytes: u64,
    /// How long an upload may stay unused by any message before it is deleted.
    pub orphan_grace_secs: u64,
    /// How often each gateway looks for unused uploads past the grace period.
    pub sweep_interval_secs: u64,
}

impl AttachmentsConfig {
    /// The bucket and key prefix when `store` names an S3 bucket, `None` for a local directory.
    pub fn s3_bucket(&self) -> Option<(&str, &str)> {
        let rest = self.store.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        Some((bucket, prefix.trim_matches('/')))
    }

    pub fn orphan_grace(&self) -> Duration {
        Duration::from_secs(self.orphan_grace_secs)
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_secs(self.sweep_interval_secs)
    }
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".into(),
            namespace: "chatalot".into(),
            request_timeout_ms: 5_000,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: Secret::new("postgres://postgres@127.0.0.1:5432/chatalot"),
            max_connections: 10,
        }
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: Secret::new("redis://127.0.0.1:6379"),
            key_prefix: "chatalot".into(),
        }
    }
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Pretty,
            log_filter: "info".into(),
        }
    }
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9090)),
        }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            public_url: "http://localhost:8080".into(),
            web_root: None,
            max_body_bytes: 1024 * 1024,
            ws_max_message_bytes: 64 * 1024,
            ws_read_buffer_bytes: 1024,
            ws_write_buffer_bytes: 4096,
            ws_outgoing_queue: 256,
            heartbeat_interval_ms: 30_000,
            heartbeat_timeout_ms: 75_000,
            identify_timeout_ms: 10_000,
            drain_timeout_ms: 10_000,
            ws_frames_per_sec: 5,
            ws_frame_burst: 30,
            allowed_origins: Vec::new(),
            allow_desktop_app: true,
            hsts_max_age_secs: 0,
        }
    }
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            private_key: Secret::default(),
            public_key: String::new(),
            issuer: "chatalot".into(),
            audience: "chatalot".into(),
            access_token_ttl_secs: 900,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            hash_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            refresh_token_ttl_days: 30,
            refresh_retry_grace_secs: 60,
            login_ip_limit: 30,
            login_ip_window_secs: 60,
            login_account_limit: 10,
            login_account_window_secs: 900,
            register_ip_limit: 10,
            register_ip_window_secs: 3600,
        }
    }
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        Self {
            store: "./.data/attachments".into(),
            s3_endpoint: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: Secret::default(),
            s3_secret_access_key: Secret::default(),
            s3_allow_http: false,
            max_bytes: 100 * 1024 * 1024,
            orphan_grace_secs: 24 * 3600,
            sweep_interval_secs: 600,
        }
    }
}

/// Presence in Redis (see `docs/presence.md`): gateway liveness, the sweep of dead gateways and
/// the bound of the ready snapshot.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PresenceConfig {
    /// A gateway that has not refreshed its liveness for this long is dead: its connections
    /// stop counting and its users go offline (unless connected elsewhere). Gateways refresh
    /// every third of it.
    pub gateway_ttl_secs: u64,
    /// How often each gateway looks for dead gateways and expired custom statuses. A dead
    /// gateway's users are offline at most `gateway_ttl_secs` plus this after it died.
    pub sweep_interval_ms: u64,
    /// The ready snapshot considers at most this many members of each community (the first by
    /// user id); changes of the others still arrive live.
    pub snapshot_members_per_community: u32,
    /// The ready snapshot considers at most this many people in all.
    pub snapshot_max_users: u32,
    /// Longest wait for one presence command to Redis; past it presence degrades (and is
    /// retried), messaging goes on.
    pub redis_timeout_ms: u64,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            gateway_ttl_secs: 30,
            sweep_interval_ms: 5_000,
            snapshot_members_per_community: 1_000,
            snapshot_max_users: 5_000,
            redis_timeout_ms: 1_000,
        }
    }
}

impl PresenceConfig {
    /// The longest a dead gateway's users may stay online (before the fan-out), whatever the
    /// configuration: `gateway_ttl_secs` plus `sweep_interval_ms` must stay within it.
    pub const MAX_OFFLINE_BOUND: Duration = Duration::from_secs(55);

    pub fn gateway_ttl(&self) -> Duration {
        Duration::from_secs(self.gateway_ttl_secs)
    }

    /// How often a gateway refreshes its liveness: a third of the TTL, so two refreshes in a
    /// row may fail before it counts as dead.
    pub fn refresh_interval(&self) -> Duration {
        self.gateway_ttl() / 3
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_millis(self.sweep_interval_ms)
    }

    pub fn redis_timeout(&self) -> Duration {
        Duration::from_millis(self.redis_timeout_ms)
    }

    /// How long after a gateway dies its users are offline at the latest (before the fan-out).
    pub fn offline_bound(&self) -> Duration {
        self.gateway_ttl() + self.sweep_interval()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |msg: &str| Err(ConfigError(msg.to_string()));
        if self.gateway_ttl_secs < 3 {
            return fail("presence.gateway_ttl_secs must be at least 3");
        }
        if self.sweep_interval_ms < 100 {
            return fail("presence.sweep_interval_ms must be at least 100");
        }
        if self.offline_bound() > Self::MAX_OFFLINE_BOUND {
            return fail(
                "presence.gateway_ttl_secs plus presence.sweep_interval_ms must stay within 55 \
                 seconds, so that a dead gateway's users go offline within a minute",
            );
        }
        if self.snapshot_max_users > 50_000 {
            return fail("presence.snapshot_max_users must be at most 50000");
        }
        if self.redis_timeout_ms < 50 {
            return fail("presence.redis_timeout_ms must be at least 50");
        }
        Ok(())
    }
}

/// Calls: limits, the disconnect grace period and ICE servers (see `docs/calls.md`). signal-svc
/// uses every field but the command rate limits, which gateways apply per connection.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallsConfig {
    /// Most participants in one call (a WebRTC mesh: 1 to 25). A voice channel's `voice_cap`
    /// lowers it for that channel.
    pub max_participants: u32,
    /// How long a participant whose connection dropped (or whose gateway died) stays in the call,
    /// shown as disconnected, so that a reconnecting client can join again seamlessly.
    pub disconnect_grace_ms: u64,
    /// How often signal-svc removes participants past the grace period (one replica per round).
    pub sweep_interval_ms: u64,
    /// Call commands (join, leave, state, signals) one WebSocket connection may send per second
    /// on average ...
    pub command_rate_per_sec: u32,
    /// ... and in a burst (an ICE restart towards every peer of a full call, say).
    pub command_burst: u32,
    /// STUN server URLs handed to clients, e.g. `stun:turn.example.com:3478`.
    pub stun_urls: Vec<String>,
    /// TURN server URLs handed to clients with credentials, e.g.
    /// `turn:turn.example.com:3478?transport=udp`, `turns:turn.example.com:5349`.
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret`: TURN credentials are derived from it (`use-auth-secret`).
    pub turn_secret: Secret,
    /// How long TURN credentials stay valid (longer than the longest expected call: the TURN
    /// server checks them on every allocation refresh).
    pub turn_credential_ttl_secs: u64,
    /// Backstop expiry of call state in Redis; refreshed while the call lives, so only state
    /// nobody tends any more (every signal-svc stopped) expires.
    pub state_ttl_secs: u64,
}

impl Default for CallsConfig {
    fn default() -> Self {
        Self {
            max_participants: 25,
            disconnect_grace_ms: 20_000,
            sweep_interval_ms: 2_000,
            command_rate_per_sec: 50,
            command_burst: 400,
            stun_urls: Vec::new(),
            turn_urls: Vec::new(),
            turn_secret: Secret::default(),
            turn_credential_ttl_secs: 86_400,
            state_ttl_secs: 86_400,
        }
    }
}

impl CallsConfig {
    pub fn disconnect_grace(&self) -> Duration {
        Duration::from_millis(self.disconnect_grace_ms)
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_millis(self.sweep_interval_ms)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |msg: String| Err(ConfigError(msg));
        if !(1..=25).contains(&self.max_participants) {
            return fail(
                "calls.max_participants must be 1 to 25 (every participant sends to every other \
                 one; a mesh does not hold more)"
                    .into(),
            );
        }
        if self.sweep_interval_ms == 0 {
            return fail("calls.sweep_interval_ms must be above 0".into());
        }
        if self.command_rate_per_sec == 0 || self.command_burst == 0 {
            return fail(
                "calls.command_rate_per_sec and calls.command_burst must be above 0".into(),
            );
        }
        for url in &self.stun_urls {
            if !(url.starts_with("stun:") || url.starts_with("stuns:")) {
                return fail(format!(
                    "calls.stun_urls: {url:?} must start with stun: or stuns:"
                ));
            }
        }
        for url in &self.turn_urls {
            if !(url.starts_with("turn:") || url.starts_with("turns:")) {
                return fail(format!(
                    "calls.turn_urls: {url:?} must start with turn: or turns:"
                ));
            }
        }
        if !self.turn_urls.is_empty() && self.turn_secret.is_empty() {
            return fail(
                "calls.turn_secret must be set when calls.turn_urls is (the same value as \
                 coturn's static-auth-secret)"
                    .into(),
            );
        }
        if !(60..=7 * 86_400).contains(&self.turn_credential_ttl_secs) {
            return fail("calls.turn_credential_ttl_secs must be 60 to 604800 (7 days)".into());
        }
        let grace_secs = self.disconnect_grace_ms.div_ceil(1000);
        if self.state_ttl_secs < 60 || self.state_ttl_secs <= grace_secs {
            return fail(
                "calls.state_ttl_secs must be at least 60 and longer than calls.disconnect_grace_ms"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Web Push (RFC 8030, 8291, 8292) of conversation messages to users with no live connection
/// (see `docs/push.md`). message-svc sends; it alone needs the private key.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    /// Switch push off even with a key configured.
    pub enabled: bool,
    /// The VAPID private key: a P-256 key, PKCS#8 PEM (`deploy/generate-secrets.sh` writes
    /// `vapid-private.pem`; in a container set `CHATALOT_PUSH__VAPID_PRIVATE_KEY__FILE`). Empty:
    /// push is off and `GET /api/v1/push/vapid-public-key` answers `{"enabled": false}`.
    pub vapid_private_key: Secret,
    /// Who runs this server, for push services to contact (RFC 8292 `sub`): a `mailto:` or
    /// `https://` URL. Required with a key.
    pub vapid_subject: String,
    /// How long a push service keeps a notification for an unreachable device (the `TTL`
    /// header), at most 28 days.
    pub ttl_secs: u64,
    /// Longest wait for one push service to answer.
    pub request_timeout_ms: u64,
    /// Messages whose pushes are being sent at once (each to at most 8 subscriptions at a time).
    pub max_concurrency: usize,
    /// Messages waiting for their pushes; past it new ones get none (and are counted in
    /// `chatalot_push_total{outcome="dropped"}`), so a slow push service never grows memory.
    pub queue_capacity: usize,
    /// Subscriptions one user may hold (one per browser profile); a new one beyond it replaces
    /// the one registered longest ago.
    pub max_subscriptions_per_user: u32,
    /// Accepts `http://` endpoints and IP addresses as hosts. Only for tests and local push
    /// services: real push services are `https://` names, and refusing the rest keeps users from
    /// pointing the server at internal addresses.
    pub allow_insecure_endpoints: bool,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            vapid_private_key: Secret::default(),
            vapid_subject: String::new(),
            ttl_secs: 24 * 3600,
            request_timeout_ms: 10_000,
            max_concurrency: 16,
            queue_capacity: 1_024,
            max_subscriptions_per_user: 10,
            allow_insecure_endpoints: false,
        }
    }
}

impl PushConfig {
    /// The longest `ttl_secs` push services accept (web-push libraries and FCM use 28 days).
    pub const MAX_TTL_SECS: u64 = 28 * 24 * 3600;

    /// Whether push is on: enabled and a key configured.
    pub fn is_active(&self) -> bool {
        self.enabled && !self.vapid_private_key.is_empty()
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |msg: &str| Err(ConfigError(msg.to_string()));
        if self.is_active()
            && !(self.vapid_subject.starts_with("mailto:")
                || self.vapid_subject.starts_with("https://"))
        {
            return fail(
                "push.vapid_subject must be a mailto: or https:// URL saying who runs this server \
                 (push services use it to reach you), for example mailto:admin@example.com",
            );
        }
        if !(1..=Self::MAX_TTL_SECS).contains(&self.ttl_secs) {
            return fail("push.ttl_secs must be 1 to 2419200 (28 days)");
        }
        if self.request_timeout_ms == 0 {
            return fail("push.request_timeout_ms must be above 0");
        }
        if self.max_concurrency == 0 || self.queue_capacity == 0 {
            return fail("push.max_concurrency and push.queue_capacity must be at least 1");
        }
        if !(1..=100).contains(&self.max_subscriptions_per_user) {
            return fail("push.max_subscriptions_per_user must be 1 to 100");
        }
        Ok(())
    }
}

/// A configuration that cannot be used, with a sentence saying what to fix.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads defaults, then the file named by `CHATALOT_CONFIG` (if set), then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from);
        Self::load_from(file, Env::prefixed("CHATALOT_"))
    }

    /// Loads defaults, an optional file and the given environment provider (tests pass their own).
    pub fn load_from(file: Option<PathBuf>, env: Env) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "the configuration file {} (from {CONFIG_FILE_ENV}) does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(env.ignore(&["config"]).split("__"));
        let config: Config = figment.extract().map_err(|err| {
            ConfigError(format!(
                "{err}; set it in the configuration file or as CHATALOT_<SECTION>__<KEY> \
                 (see the configuration table in README.md)"
            ))
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |msg: &str| Err(ConfigError(msg.to_string()));
        if !self
            .nats
            .namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || self.nats.namespace.is_empty()
        {
            return fail("nats.namespace must be non-empty and use only letters, digits, _ and -");
        }
        if self.nats.request_timeout_ms == 0 {
            return fail("nats.request_timeout_ms must be above 0");
        }
        if self.auth.argon2_memory_kib < 19_456 || self.auth.argon2_iterations < 2 {
            return fail(
                "auth.argon2_memory_kib must be at least 19456 and auth.argon2_iterations at least 2 \
                 (OWASP minimum for argon2id)",
            );
        }
        if self.auth.hash_concurrency == 0 {
            return fail("auth.hash_concurrency must be at least 1");
        }
        if self.gateway.ws_outgoing_queue == 0 {
            return fail("gateway.ws_outgoing_queue must be at least 1");
        }
        if self.gateway.ws_frames_per_sec == 0 || self.gateway.ws_frame_burst == 0 {
            return fail("gateway.ws_frames_per_sec and gateway.ws_frame_burst must be above 0");
        }
        if self.gateway.heartbeat_timeout_ms <= self.gateway.heartbeat_interval_ms {
            return fail(
                "gateway.heartbeat_timeout_ms must be longer than gateway.heartbeat_interval_ms",
            );
        }
        for origin in &self.gateway.allowed_origins {
            let bare = origin.split_once("://").is_some_and(|(scheme, host)| {
                matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains('/')
            });
            if !bare {
                return Err(ConfigError(format!(
                    "gateway.allowed_origins: {origin:?} must be an origin like \
                     https://chat.example.com (scheme, host and port only)"
                )));
            }
        }
        self.attachments.validate()?;
        self.presence.validate()?;
        self.calls.validate()?;
        self.push.validate()?;
        Ok(())
    }
}

impl AttachmentsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |msg: &str| Err(ConfigError(msg.to_string()));
        if self.store.trim().is_empty() {
            return fail(
                "attachments.store must name a local directory or an s3://<bucket>[/<prefix>] URL",
            );
        }
        if let Some((bucket, _)) = self.s3_bucket() {
            if bucket.is_empty() {
                return fail("attachments.store must name the bucket: s3://<bucket>[/<prefix>]");
            }
            if self.s3_access_key_id.is_empty() != self.s3_secret_access_key.is_empty() {
                return fail(
                    "set both attachments.s3_access_key_id and attachments.s3_secret_access_key, \
                     or neither (to use the AWS_* variables or instance credentials)",
                );
            }
        } else if self.store.contains("://") {
            return fail(
                "attachments.store must be a local directory or an s3://<bucket>[/<prefix>] URL \
                 (for another S3-compatible store, use s3:// and set attachments.s3_endpoint)",
            );
        }
        if self.max_bytes == 0 {
            return fail("attachments.max_bytes must be above 0");
        }
        if self.sweep_interval_secs == 0 {
            return fail("attachments.sweep_interval_secs must be at least 1");
        }
        Ok(())
    }
}

impl NatsConfig {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail API returns figment::Error"
    )]
    fn env_with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut result = None;
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            for (k, v) in vars {
                jail.set_env(k, v);
            }
            result = Some(Config::load_from(None, Env::prefixed("CHATALOT_")));
            Ok(())
        });
        result.unwrap_or_else(|| Err(ConfigError("jail did not run".into())))
    }

    #[test]
    fn defaults_are_valid() {
        let config = env_with(&[]).map_err(|e| e.to_string());
        assert_eq!(config.map(|c| c.nats.namespace), Ok("chatalot".to_string()));
    }

    #[test]
    fn environment_overrides_defaults() {
        let config = env_with(&[
            ("CHATALOT_NATS__NAMESPACE", "other"),
            ("CHATALOT_AUTH__LOGIN_IP_LIMIT", "3"),
        ])
        .map_err(|e| e.to_string());
        let config = config
            .as_ref()
            .map(|c| (c.nats.namespace.clone(), c.auth.login_ip_limit));
        assert_eq!(config, Ok(("other".to_string(), 3)));
    }

    #[test]
    fn the_desktop_app_is_allowed_unless_turned_off() {
        let allowed = |vars: &[(&str, &str)]| {
            env_with(vars)
                .map(|c| c.gateway.allow_desktop_app)
                .map_err(|e| e.to_string())
        };
        assert_eq!(allowed(&[]), Ok(true));
        assert_eq!(
            allowed(&[("CHATALOT_GATEWAY__ALLOW_DESKTOP_APP", "false")]),
            Ok(false)
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_a_hint() {
        let err = env_with(&[("CHATALOT_NATS__NAMESPAC", "x")])
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("namespac"), "{err}");
        assert!(err.contains("CHATALOT_<SECTION>__<KEY>"), "{err}");
    }

    #[test]
    fn weak_argon2_parameters_are_refused() {
        let err = env_with(&[("CHATALOT_AUTH__ARGON2_MEMORY_KIB", "1024")])
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("OWASP"));
    }

    #[test]
    fn attachment_stores_are_a_directory_or_an_s3_bucket() {
        let config = env_with(&[("CHATALOT_ATTACHMENTS__STORE", "s3://media/chat/files/")])
            .map_err(|e| e.to_string());
        let bucket = config.as_ref().map(|c| {
            c.attachments
                .s3_bucket()
                .map(|(b, p)| (b.to_string(), p.to_string()))
        });
        assert_eq!(bucket, Ok(Some(("media".into(), "chat/files".into()))));
        assert_eq!(Config::default().attachments.s3_bucket(), None);
        for (key, value) in [
            ("CHATALOT_ATTACHMENTS__STORE", "gs://media"),
            ("CHATALOT_ATTACHMENTS__STORE", "s3://"),
            ("CHATALOT_ATTACHMENTS__MAX_BYTES", "0"),
            ("CHATALOT_ATTACHMENTS__SWEEP_INTERVAL_SECS", "0"),
        ] {
            let err = env_with(&[(key, value)]).err().map(|e| e.to_string());
            assert!(
                err.unwrap_or_default().contains("attachments."),
                "{key}={value}"
            );
        }
        let half_keys = env_with(&[
            ("CHATALOT_ATTACHMENTS__STORE", "s3://media"),
            ("CHATALOT_ATTACHMENTS__S3_ACCESS_KEY_ID", "id"),
        ]);
        assert!(half_keys.is_err());
    }

    #[test]
    fn calls_settings_are_checked() {
        let config = env_with(&[
            (
                "CHATALOT_CALLS__STUN_URLS",
                r#"["stun:turn.example.com:3478"]"#,
            ),
            (
                "CHATALOT_CALLS__TURN_URLS",
                r#"["turn:turn.example.com:3478?transport=udp"]"#,
            ),
            ("CHATALOT_CALLS__TURN_SECRET", "s3cret"),
        ])
        .map_err(|e| e.to_string());
        let urls = config
            .as_ref()
            .map(|c| (c.calls.stun_urls.len(), c.calls.turn_urls.len()));
        assert_eq!(urls, Ok((1, 1)));
        for vars in [
            vec![("CHATALOT_CALLS__MAX_PARTICIPANTS", "26")],
            vec![("CHATALOT_CALLS__MAX_PARTICIPANTS", "0")],
            vec![("CHATALOT_CALLS__TURN_URLS", r#"["turn:example.com"]"#)],
            vec![("CHATALOT_CALLS__STUN_URLS", r#"["http://example.com"]"#)],
            vec![("CHATALOT_CALLS__TURN_CREDENTIAL_TTL_SECS", "5")],
            vec![("CHATALOT_CALLS__SWEEP_INTERVAL_MS", "0")],
            vec![("CHATALOT_CALLS__COMMAND_BURST", "0")],
        ] {
            let err = env_with(&vars).err().map(|e| e.to_string());
            assert!(err.unwrap_or_default().contains("calls."), "{vars:?}");
        }
    }

    #[test]
    fn presence_bounds_are_checked() {
        let bound = Config::default().presence.offline_bound();
        assert!(bound < Duration::from_secs(60), "{bound:?}");
        for (key, value) in [
            ("CHATALOT_PRESENCE__GATEWAY_TTL_SECS", "2"),
            ("CHATALOT_PRESENCE__GATEWAY_TTL_SECS", "55"),
            ("CHATALOT_PRESENCE__SWEEP_INTERVAL_MS", "50"),
            ("CHATALOT_PRESENCE__SNAPSHOT_MAX_USERS", "100000"),
            ("CHATALOT_PRESENCE__REDIS_TIMEOUT_MS", "0"),
        ] {
            let err = env_with(&[(key, value)]).err().map(|e| e.to_string());
            assert!(
                err.unwrap_or_default().contains("presence."),
                "{key}={value}"
            );
        }
        let refresh = env_with(&[("CHATALOT_PRESENCE__GATEWAY_TTL_SECS", "3")])
            .map(|c| c.presence.refresh_interval())
            .map_err(|e| e.to_string());
        assert_eq!(refresh, Ok(Duration::from_secs(1)));
    }

    #[test]
    fn push_settings_are_checked() {
        assert!(!Config::default().push.is_active());
        let config = env_with(&[
            ("CHATALOT_PUSH__VAPID_PRIVATE_KEY", "pem"),
            ("CHATALOT_PUSH__VAPID_SUBJECT", "mailto:admin@example.com"),
        ])
        .map(|c| c.push.is_active())
        .map_err(|e| e.to_string());
        assert_eq!(config, Ok(true));
        for vars in [
            vec![("CHATALOT_PUSH__VAPID_PRIVATE_KEY", "pem")],
            vec![
                ("CHATALOT_PUSH__VAPID_PRIVATE_KEY", "pem"),
                ("CHATALOT_PUSH__VAPID_SUBJECT", "admin@example.com"),
            ],
            vec![("CHATALOT_PUSH__TTL_SECS", "0")],
            vec![("CHATALOT_PUSH__TTL_SECS", "2419201")],
            vec![("CHATALOT_PUSH__REQUEST_TIMEOUT_MS", "0")],
            vec![("CHATALOT_PUSH__QUEUE_CAPACITY", "0")],
            vec![("CHATALOT_PUSH__MAX_SUBSCRIPTIONS_PER_USER", "0")],
        ] {
            let err = env_with(&vars).err().map(|e| e.to_string());
            assert!(err.unwrap_or_default().contains("push."), "{vars:?}");
        }
        // Switched off, a key needs no subject.
        let off = env_with(&[
            ("CHATALOT_PUSH__ENABLED", "false"),
            ("CHATALOT_PUSH__VAPID_PRIVATE_KEY", "pem"),
        ])
        .map(|c| c.push.is_active())
        .map_err(|e| e.to_string());
        assert_eq!(off, Ok(false));
    }

    #[test]
    fn secrets_do_not_print() {
        let mut config = Config::default();
        config.attachments.s3_secret_access_key = Secret::new("s3-secret-value");
        config.calls.turn_secret = Secret::new("turn-secret-value");
        config.push.vapid_private_key = Secret::new("vapid-secret-value");
        let printed = format!("{config:?}");
        assert!(!printed.contains("turn-secret-value"), "{printed}");
        assert!(!printed.contains("postgres://"), "{printed}");
        assert!(!printed.contains("s3-secret-value"), "{printed}");
        assert!(!printed.contains("vapid-secret-value"), "{printed}");
    }
}
