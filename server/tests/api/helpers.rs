//! The test harness: every test gets its own database, NATS namespace and Redis key prefix, and
//! starts the real services and gateways in-process on free ports.

use chatalot_auth::AuthService;
use chatalot_gateway::Gateway;
use chatalot_shared::{config::Config, process::Readiness, secret::Secret};
use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use std::{net::SocketAddr, time::Duration};
use tokio::{net::TcpStream, task::JoinHandle};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// An isolated environment: a fresh database, namespace and key prefix, and a signing key.
pub struct TestEnv {
    pub config: Config,
}

impl TestEnv {
    pub async fn new() -> Self {
        chatalot_shared::telemetry::init_for_tests();
        let id = Uuid::new_v4().simple().to_string();
        let base = env_or(
            "TEST_CHATALOT_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432",
        );
        let database = format!("chatalot_test_{id}");
        let mut admin = PgConnection::connect(&format!("{base}/postgres"))
            .await
            .expect("connect to PostgreSQL (TEST_CHATALOT_DATABASE_URL)");
        sqlx::query(&format!("create database {database}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let private_pem = signing.to_pkcs8_pem(LineEnding::LF).expect("encode key");

        let mut config = Config::default();
        config.database.url = Secret::new(format!("{base}/{database}"));
        config.database.max_connections = 5;
        config.nats.url = env_or("TEST_CHATALOT_NATS_URL", "nats://127.0.0.1:4222");
        config.nats.namespace = format!("t{id}");
        config.nats.request_timeout_ms = 3_000;
        config.redis.url = Secret::new(env_or("TEST_CHATALOT_REDIS_URL", "redis://127.0.0.1:6379"));
        config.redis.key_prefix = format!("t{id}");
        config.gateway.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.jwt.private_key = Secret::new(private_pem.as_str());
        // Every test client comes from 127.0.0.1: throttling tests lower these again.
        config.auth.login_ip_limit = 10_000;
        config.auth.login_account_limit = 10_000;
        config.auth.register_ip_limit = 10_000;
        // Attachments: each test's uploads go to its own directory, never into the source tree.
        config.attachments.store = std::env::temp_dir()
            .join(format!("chatalot-test-attachments-{id}"))
            .display()
            .to_string();
        Self { config }
    }

    pub async fn start_auth(&self) -> Running {
        start_auth(&self.config).await
    }

    pub async fn start_gateway(&self) -> GatewayHandle {
        start_gateway(&self.config).await
    }
}

/// A component running in-process; stopped (gracefully) by [`Running::stop`] or when dropped.
pub struct Running {
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    /// Stops the component and waits until it has drained.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await
                .expect("component task")
                .expect("component stopped cleanly");
        }
    }
}

impl Running {
    /// Stops the component abruptly, as a crash would: work in flight is dropped unanswered
    /// and nothing is drained.
    pub fn kill(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn start_auth(config: &Config) -> Running {
    let service = AuthService::build(config, &Readiness::default())
        .await
        .expect("build auth-svc");
    run_in_background(|shutdown| service.run_until_stopped(shutdown)).await
}

/// Runs a built service until its [`Running`] handle stops it.
async fn run_in_background<F, Fut>(run: F) -> Running
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(shutdown.clone()));
    // The service subscribes once it runs; give it a moment so first requests find it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    Running {
        shutdown,
        task: Some(task),
    }
}

/// A running gateway and how to reach it.
pub struct GatewayHandle {
    pub addr: SocketAddr,
    pub running: Running,
}

impl GatewayHandle {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }
}

pub async fn start_gateway(config: &Config) -> GatewayHandle {
    let gateway = Gateway::build(config, &Readiness::default())
        .await
        .expect("build gateway");
    let addr = gateway.local_addr();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(gateway.run_until_stopped(shutdown.clone()));
    GatewayHandle {
        addr,
        running: Running {
            shutdown,
            task: Some(task),
        },
    }
}

/// The common case: one auth-svc, community-svc, message-svc and keys-svc, and one gateway.
/// (`rolling_restart.rs` takes the services out to restart them.)
pub struct TestApp {
    pub env: TestEnv,
    pub auth: Running,
    pub community: Running,
    pub message: Running,
    pub keys: Running,
    pub signal: Running,
    pub gateway: GatewayHandle,
    pub http: reqwest::Client,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut env = TestEnv::new().await;
    configure(&mut env.config);
    spawn_app_on(env).await
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .user_agent("chatalot-tests/1")
        .build()
        .expect("http client")
}

/// A registered user's tokens.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub access_token: String,
    pub refresh_token: String,
}

impl Session {
    pub fn from_json(body: &Value) -> Self {
        let uuid = |v: &Value| Uuid::parse_str(v.as_str().expect("uuid string")).expect("uuid");
        Self {
            user_id: uuid(&body["user"]["user_id"]),
            session_id: uuid(&body["session_id"]),
            access_token: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_string(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_string(),
        }
    }
}

/// A response's status and JSON body (Null when empty or not JSON).
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        self.gateway.url(path)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        send(&self.http, method, &self.url(path), token, body).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, None, Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    /// Registers `username` with the standard password; panics unless it succeeds.
    pub async fn register(&self, username: &str) -> Session {
        let reply = self
            .post(
                "/api/v1/auth/register",
                json!({ "username": username, "password": PASSWORD }),
            )
            .await;
        assert_eq!(reply.status, 201, "register {username}: {}", reply.body);
        Session::from_json(&reply.body)
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            json!({ "username": username, "password": password }),
        )
        .await
    }
}

pub async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("HTTP request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("response body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

/// A WebSocket client speaking the gateway protocol.
pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a WebSocket ended, as the client saw it.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Closed(u16),
    Dropped,
}

impl WsClient {
    pub async fn connect(url: &str) -> Self {
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connect");
        Self { stream }
    }

    /// Connects, identifies and waits for `ready`.
    pub async fn identified(url: &str, token: &str) -> Self {
        let mut client = Self::connect(url).await;
        let hello = client.next_json().await;
        assert_eq!(hello["op"], "hello", "{hello}");
        client
            .send_json(json!({ "op": "identify", "d": { "token": token } }))
            .await;
        let ready = client.next_json().await;
        assert_eq!(ready["op"], "ready", "{ready}");
        client
    }

    pub async fn send_json(&mut self, value: Value) {
        self.stream
            .send(Message::Text(value.to_string().into()))
            .await
            .expect("websocket send");
    }

    /// The next JSON text frame, within 5 seconds, skipping `presence_updated` events: they
    /// arrive whenever someone connects or disconnects, so only presence tests read them (with
    /// [`WsClient::next_frame`]).
    pub async fn next_json(&mut self) -> Value {
        loop {
            let frame = self.next_frame().await;
            if !is_presence_event(&frame) {
                return frame;
            }
        }
    }

    /// The next JSON text frame, whatever it is, within 5 seconds.
    pub async fn next_frame(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), self.stream.next())
                .await
                .expect("a frame within 5 s")
                .expect("stream open")
                .expect("frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON frame"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The `d` of the next event named `t`, skipping other frames.
    pub async fn next_event(&mut self, t: &str) -> Value {
        loop {
            let frame = self.next_json().await;
            if frame["t"] == t {
                return frame["d"].clone();
            }
        }
    }

    /// Waits (at most `within`) for the server to end the connection, skipping other frames.
    pub async fn ended(&mut self, within: Duration) -> Ended {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => panic!("connection still open after {within:?}"),
                Ok(None) | Ok(Some(Err(_))) => return Ended::Dropped,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Ended::Closed(frame.map_or(1005, |f| u16::from(f.code)));
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// Whether `frame` is a `presence_updated` event (see [`WsClient::next_json`]).
pub fn is_presence_event(frame: &Value) -> bool {
    frame["op"] == "event" && frame["t"] == "presence_updated"
}

/// Polls `check` every 50 ms until it returns true or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

pub async fn start_community(config: &Config) -> Running {
    let service = chatalot_community::CommunityService::build(config, &Readiness::default())
        .await
        .expect("build community-svc");
    run_in_background(|shutdown| service.run_until_stopped(shutdown)).await
}

pub async fn start_message(config: &Config) -> Running {
    let service = chatalot_message::MessageService::build(config, &Readiness::default())
        .await
        .expect("build message-svc");
    run_in_background(|shutdown| service.run_until_stopped(shutdown)).await
}

impl TestEnv {
    pub async fn start_community(&self) -> Running {
        start_community(&self.config).await
    }

    pub async fn start_message(&self) -> Running {
        start_message(&self.config).await
    }
}

/// A UUID held in a JSON string.
pub fn uuid_of(value: &Value) -> Uuid {
    Uuid::parse_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("a uuid string, got {value}")),
    )
    .expect("uuid")
}

/// An access token with any claims (expired, another audience...), signed with the test
/// instance's own key.
pub fn sign_access_token(
    app: &TestApp,
    claims: &chatalot_shared::contracts::auth::AccessClaims,
) -> String {
    let key =
        jsonwebtoken::EncodingKey::from_ed_pem(app.env.config.jwt.private_key.expose().as_bytes())
            .unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA),
        claims,
        &key,
    )
    .unwrap()
}

/// The claims of `session`'s access token as they were half an hour ago: expired.
pub fn expired_claims(session: &Session) -> chatalot_shared::contracts::auth::AccessClaims {
    let now = chrono::Utc::now().timestamp();
    chatalot_shared::contracts::auth::AccessClaims {
        iss: "chatalot".into(),
        aud: "chatalot".into(),
        sub: session.user_id,
        sid: session.session_id,
        iat: now - 3600,
        exp: now - 1800,
    }
}

/// `session`'s access token with the last character of its signature changed.
pub fn tampered_token(session: &Session) -> String {
    let mut tampered = session.access_token.clone();
    let last = tampered.pop().unwrap_or('A');
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    tampered
}

impl TestApp {
    /// Sends a request that must succeed (2xx) and returns its body.
    pub async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Value {
        let reply = self.send(method.clone(), path, Some(token), body).await;
        assert!(
            (200..300).contains(&reply.status),
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
        reply.body
    }

    /// Creates a community owned by `owner` (`visibility` is `public` or `private`).
    pub async fn create_community(&self, owner: &Session, name: &str, visibility: &str) -> Uuid {
        let body = self
            .ok(
                reqwest::Method::POST,
                "/api/v1/communities",
                &owner.access_token,
                Some(json!({ "name": name, "visibility": visibility })),
            )
            .await;
        uuid_of(&body["community_id"])
    }

    /// Creates a group (`visibility` is `public` or `private`).
    pub async fn create_group(
        &self,
        owner: &Session,
        community_id: Uuid,
        name: &str,
        visibility: &str,
    ) -> Uuid {
        let body = self
            .ok(
                reqwest::Method::POST,
                &format!("/api/v1/communities/{community_id}/groups"),
                &owner.access_token,
                Some(json!({ "name": name, "visibility": visibility })),
            )
            .await;
        uuid_of(&body["group_id"])
    }

    /// Creates a text channel in `group_id` with extra fields from `extra` (an object).
    pub async fn create_channel(
        &self,
        owner: &Session,
        community_id: Uuid,
        group_id: Uuid,
        name: &str,
        extra: Value,
    ) -> Uuid {
        let mut body = json!({ "group_id": group_id, "name": name, "kind": "text" });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let body = self
            .ok(
                reqwest::Method::POST,
                &format!("/api/v1/communities/{community_id}/channels"),
                &owner.access_token,
                Some(body),
            )
            .await;
        uuid_of(&body["channel_id"])
    }

    /// Joins a public community directly; returns the member's view.
    pub async fn join_community(&self, user: &Session, community_id: Uuid) -> Value {
        self.ok(
            reqwest::Method::POST,
            &format!("/api/v1/communities/{community_id}/join"),
            &user.access_token,
            None,
        )
        .await
    }

    /// `user`'s view of a community.
    pub async fn community_view(&self, user: &Session, community_id: Uuid) -> Value {
        self.ok(
            reqwest::Method::GET,
            &format!("/api/v1/communities/{community_id}/view"),
            &user.access_token,
            None,
        )
        .await
    }
}

/// keys-svc, as [`spawn_app_with`] starts it.
pub async fn start_keys(config: &Config) -> Running {
    let service = chatalot_keys::KeysService::build(config, &Readiness::default())
        .await
        .expect("build keys-svc");
    run_in_background(|shutdown| service.run_until_stopped(shutdown)).await
}

pub async fn start_signal(config: &Config) -> Running {
    let service = chatalot_signal::SignalService::build(config, &Readiness::default())
        .await
        .expect("build signal-svc");
    run_in_background(|shutdown| service.run_until_stopped(shutdown)).await
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_local_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `config` as `CHATALOT_<SECTION>__<KEY>` variables (scalar settings only; unset optional ones
/// and empty lists keep their defaults).
pub fn config_env(config: &Config) -> Vec<(String, String)> {
    let value = serde_json::to_value(config).expect("serialisable config");
    let mut vars = Vec::new();
    for (section, fields) in value.as_object().expect("config sections") {
        for (key, value) in fields.as_object().expect("section fields") {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            vars.push((
                format!(
                    "CHATALOT_{}__{}",
                    section.to_uppercase(),
                    key.to_uppercase()
                ),
                value,
            ));
        }
    }
    vars
}

/// A gateway running as a process of its own (`chatalot gateway`), so that a test can kill it
/// with SIGKILL: no drain, no clean-up, exactly like a crash. Killed when dropped.
pub struct GatewayProcess {
    pub addr: SocketAddr,
    child: std::process::Child,
}

impl GatewayProcess {
    /// Starts `chatalot gateway` with `config` (on a port of its choosing) and waits until it
    /// listens.
    pub fn start(config: &Config) -> Self {
        use std::io::BufRead;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_chatalot"));
        command.arg("gateway").env_clear();
        for (key, value) in config_env(config) {
            command.env(key, value);
        }
        let log_filter = std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into());
        command
            .env("CHATALOT_GATEWAY__LISTEN", "127.0.0.1:0")
            .env("CHATALOT_ADMIN__LISTEN", "127.0.0.1:0")
            .env("CHATALOT_TELEMETRY__LOG_FILTER", log_filter)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        let mut child = command.spawn().expect("start `chatalot gateway`");
        let stdout = child.stdout.take().expect("the gateway's stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the address, then keeps draining (logs go to stdout) so the child never blocks.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("gateway listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                } else if std::env::var_os("TEST_LOG").is_some() {
                    eprintln!("[gateway process] {line}");
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("`chatalot gateway` did not start listening within 30 s")
            .parse()
            .expect("a socket address");
        Self { addr, child }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A private redis-server (no persistence) that a test can stop and start again on the same
/// port, empty, as a restarted Redis is.
pub struct PrivateRedis {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    pub fn start() -> Self {
        let mut redis = Self {
            port: free_local_port(),
            child: None,
        };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Starts the server (again) on its port and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/test.sh installs it)");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

impl WsClient {
    /// Waits (at most `within`) for a `presence_updated` about `user_id` with `status`, skipping
    /// every other frame; returns its `d`.
    pub async fn presence_becomes(
        &mut self,
        user_id: Uuid,
        status: &str,
        within: Duration,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next()).await;
            let Ok(Some(Ok(Message::Text(text)))) = next else {
                if matches!(next, Ok(Some(Ok(_)))) {
                    continue;
                }
                panic!(
                    "no presence_updated {status} for {user_id} within {within:?}; saw {seen:?}"
                );
            };
            let frame: Value = serde_json::from_str(&text).expect("JSON frame");
            if is_presence_event(&frame) && frame["d"]["presence"]["user_id"] == json!(user_id) {
                if frame["d"]["presence"]["status"] == status {
                    return frame["d"].clone();
                }
                seen.push(frame["d"]["presence"].clone());
            }
        }
    }

    /// The `presence_updated` events about `user_id` received until the gateway answers a
    /// heartbeat sent now (everything queued for this connection before that comes first).
    pub async fn presences_until_heartbeat(&mut self, user_id: Uuid) -> Vec<Value> {
        self.send_json(json!({ "op": "heartbeat" })).await;
        let mut found = Vec::new();
        loop {
            let frame = self.next_frame().await;
            if frame["op"] == "heartbeat_ack" {
                return found;
            }
            if is_presence_event(&frame) && frame["d"]["presence"]["user_id"] == json!(user_id) {
                found.push(frame["d"]["presence"].clone());
            }
        }
    }
}

/// The presences in a fresh `ready` snapshot of `token`'s user on the gateway at `ws_url`.
pub async fn ready_presences(ws_url: &str, token: &str) -> Vec<Value> {
    let mut client = WsClient::connect(ws_url).await;
    assert_eq!(client.next_json().await["op"], "hello");
    client
        .send_json(json!({ "op": "identify", "d": { "token": token } }))
        .await;
    let ready = client.next_json().await;
    assert_eq!(ready["op"], "ready", "{ready}");
    client.stream.close(None).await.ok();
    ready["d"]["presences"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The status of `user_id` in `presences` (a `ready` snapshot), if listed.
pub fn status_in(presences: &[Value], user_id: Uuid) -> Option<String> {
    presences
        .iter()
        .find(|p| p["user_id"] == json!(user_id))
        .and_then(|p| p["status"].as_str().map(str::to_string))
}

/// Starts the services and a gateway on `env`: a fresh one ([`spawn_app_with`]) or one prepared
/// beforehand, such as a database restored from an older release's dump (`upgrade.rs`). The
/// services migrate the database as they start.
pub async fn spawn_app_on(env: TestEnv) -> TestApp {
    let auth = env.start_auth().await;
    let community = env.start_community().await;
    let message = env.start_message().await;
    let keys = start_keys(&env.config).await;
    let signal = start_signal(&env.config).await;
    let gateway = env.start_gateway().await;
    TestApp {
        env,
        auth,
        community,
        message,
        keys,
        signal,
        gateway,
        http: http_client(),
    }
}

// ---------------------------------------------------------------------------------------------
// Failover and restarts (nats_cluster.rs, rolling_restart.rs): a private NATS cluster, graceful
// termination of a gateway process, HTTP sends that retry like a client, and WebSocket clients
// that reconnect and resume.

/// One node of a [`NatsCluster`].
pub struct NatsNode {
    pub port: u16,
    cluster_port: u16,
    monitor_port: u16,
    child: Option<std::process::Child>,
}

/// A private cluster of `nats-server` processes on loopback (free ports), each routed to all
/// the others. Nodes run with `--no_advertise`, so a client knows only the servers its
/// `nats.url` lists and fails over only to those. Every node is killed when dropped.
pub struct NatsCluster {
    name: String,
    pub nodes: Vec<NatsNode>,
}

impl NatsCluster {
    /// A cluster of `size` nodes, none started yet.
    pub fn new(size: usize) -> Self {
        let nodes = (0..size)
            .map(|_| NatsNode {
                port: free_local_port(),
                cluster_port: free_local_port(),
                monitor_port: free_local_port(),
                child: None,
            })
            .collect();
        Self {
            name: format!("c{}", Uuid::new_v4().simple()),
            nodes,
        }
    }

    /// The `nats.url` listing `nodes`, in that order.
    pub fn url(&self, nodes: &[usize]) -> String {
        nodes
            .iter()
            .map(|&i| format!("nats://127.0.0.1:{}", self.nodes[i].port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Starts node `i` with routes to every other node (started or not: it keeps trying) and
    /// waits until it accepts clients.
    pub fn start(&mut self, i: usize) {
        let routes = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, node)| format!("nats://127.0.0.1:{}", node.cluster_port))
            .collect::<Vec<_>>()
            .join(",");
        let node = &mut self.nodes[i];
        let child = std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &node.port.to_string()])
            .args(["-m", &node.monitor_port.to_string()])
            .args(["--cluster_name", &self.name])
            .args([
                "--cluster",
                &format!("nats://127.0.0.1:{}", node.cluster_port),
            ])
            .args(["--routes", &routes, "--no_advertise"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server must be installed (scripts/lib/services.sh installs it)");
        node.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", node.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server node {i} did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL to node `i`, as a crash or a lost machine.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// The monitoring endpoint `path` (`routez`, `connz`, ...) of node `i`.
    async fn monitor(&self, i: usize, path: &str) -> Option<Value> {
        let url = format!("http://127.0.0.1:{}/{path}", self.nodes[i].monitor_port);
        let response = reqwest::get(url).await.ok()?;
        response.json().await.ok()
    }

    /// Waits (at most 20 s) until every running node has a route to every other running node.
    pub async fn wait_until_meshed(&self) {
        let running: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].child.is_some())
            .collect();
        let meshed = eventually(Duration::from_secs(20), || async {
            for &i in &running {
                let routes = self.monitor(i, "routez").await;
                let count = routes.as_ref().and_then(|r| r["num_routes"].as_u64());
                if count.unwrap_or(0) < running.len() as u64 - 1 {
                    return false;
                }
            }
            true
        })
        .await;
        assert!(meshed, "the NATS cluster did not form");
    }

    /// The names of the clients connected to node `i` (Chatalot names its NATS connections
    /// `gateway`, `auth-svc`, ...).
    pub async fn clients_of(&self, i: usize) -> Vec<String> {
        let mut names: Vec<String> = self
            .monitor(i, "connz?limit=1024")
            .await
            .and_then(|connz| connz["connections"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

impl GatewayProcess {
    /// SIGTERM, as an orchestrator stops a process, and waits (at most `within`) for it to
    /// exit; returns whether it exited successfully.
    pub fn terminate(&mut self, within: Duration) -> bool {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill(1)");
        assert!(sent.success(), "SIGTERM not delivered");
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the gateway") {
                return status.success();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the gateway did not exit within {within:?} of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The addresses of the gateways a client may use; tests change it as gateways stop and
/// restart on new ports.
#[derive(Clone, Default)]
pub struct Gateways(std::sync::Arc<std::sync::Mutex<Vec<SocketAddr>>>);

impl Gateways {
    pub fn new(addrs: &[SocketAddr]) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(addrs.to_vec())))
    }

    /// Replaces `old` (a stopped gateway) with `new` (its replacement).
    pub fn replace(&self, old: SocketAddr, new: SocketAddr) {
        let mut addrs = self.0.lock().unwrap();
        for addr in addrs.iter_mut().filter(|a| **a == old) {
            *addr = new;
        }
    }

    /// The `n`-th gateway, round robin.
    pub fn pick(&self, n: usize) -> SocketAddr {
        let addrs = self.0.lock().unwrap();
        addrs[n % addrs.len()]
    }
}

/// The client retry rule (docs/operations.md, "Rolling restarts"): a request answered
/// 503 `service_unavailable`, or that got no answer at all (connection refused or closed: a
/// gateway stopping), is retried after 100 ms, doubling up to 1.6 s, on the next gateway,
/// for at most 30 s. Writes carry an idempotency key (a message nonce), so a retry never
/// duplicates; every other status is final. Returns the final reply and the failed attempts'
/// statuses (0 for no answer).
pub async fn request_with_retry(
    http: &reqwest::Client,
    gateways: &Gateways,
    start: usize,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (Reply, Vec<u16>) {
    let within = Duration::from_secs(30);
    match request_with_retry_within(
        http,
        gateways,
        start,
        method.clone(),
        path,
        token,
        body,
        within,
    )
    .await
    {
        Ok(answer) => answer,
        Err(failed) => {
            panic!(
                "{method} {path}: no answer but 503 or a dropped connection for 30 s: {failed:?}"
            )
        }
    }
}

/// [`request_with_retry`] giving up after `within`: `Err` with the failed attempts' statuses
/// when no answer but 503 or a dropped connection came in that time.
#[expect(
    clippy::too_many_arguments,
    reason = "the request and its retry budget"
)]
pub async fn request_with_retry_within(
    http: &reqwest::Client,
    gateways: &Gateways,
    start: usize,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    within: Duration,
) -> Result<(Reply, Vec<u16>), Vec<u16>> {
    let deadline = tokio::time::Instant::now() + within;
    let mut failed = Vec::new();
    let mut delay = Duration::from_millis(100);
    for attempt in start.. {
        let url = format!("http://{}{path}", gateways.pick(attempt));
        let mut request = http.request(method.clone(), &url).bearer_auth(token);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let answered = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                match response.bytes().await {
                    Ok(bytes) => Some(Reply {
                        status,
                        headers,
                        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                    }),
                    Err(_) => None,
                }
            }
            Err(_) => None,
        };
        match answered {
            Some(reply) if reply.status != 503 => return Ok((reply, failed)),
            Some(reply) => failed.push(reply.status),
            None => failed.push(0),
        }
        if tokio::time::Instant::now() + delay >= deadline {
            return Err(failed);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(1_600));
    }
    unreachable!("the loop returns")
}

/// A message the server acknowledged.
#[derive(Debug, Clone)]
pub struct Acknowledged {
    pub message_id: Uuid,
    /// 201 for the first answer; 200 when a retry found the message an earlier attempt created.
    pub status: u16,
    /// When the send began and when its acknowledgement arrived.
    pub sent_at: std::time::Instant,
    pub acked_at: std::time::Instant,
    /// Attempts that failed before (503, or 0 for no answer).
    pub failed_attempts: Vec<u16>,
}

/// Sends `count` messages to `channel_id` one after the other (nonces `<tag>-<i>`), each retried
/// by [`request_with_retry`] until acknowledged, starting on gateway `start`. Stops early when
/// `stop` is cancelled.
pub fn spawn_sender(
    gateways: Gateways,
    start: usize,
    token: String,
    channel_id: Uuid,
    tag: &str,
    count: usize,
    stop: CancellationToken,
) -> JoinHandle<Vec<Acknowledged>> {
    let tag = tag.to_string();
    tokio::spawn(async move {
        let http = http_client();
        let path = format!("/api/v1/channels/{channel_id}/messages");
        let mut acknowledged = Vec::new();
        for i in 0..count {
            if stop.is_cancelled() {
                break;
            }
            let nonce = format!("{tag}-{i}");
            let body = json!({ "nonce": nonce, "body": format!("message {nonce}") });
            let sent_at = std::time::Instant::now();
            let (reply, failed_attempts) = request_with_retry(
                &http,
                &gateways,
                start + i,
                reqwest::Method::POST,
                &path,
                &token,
                Some(body),
            )
            .await;
            assert!(
                matches!(reply.status, 200 | 201),
                "send {nonce}: {} {}",
                reply.status,
                reply.body
            );
            acknowledged.push(Acknowledged {
                message_id: uuid_of(&reply.body["message_id"]),
                status: reply.status,
                sent_at,
                acked_at: std::time::Instant::now(),
                failed_attempts,
            });
        }
        acknowledged
    })
}

/// What a [`spawn_follower`] client saw.
#[derive(Debug, Default)]
pub struct Followed {
    /// Every `message_created` of the channel, in arrival order, with whether it came in a
    /// resume replay.
    pub messages: Vec<(Uuid, bool)>,
    /// Why each connection ended: a close code, or 0 when it dropped without one.
    pub endings: Vec<u16>,
    /// Connections that got `ready`.
    pub readies: usize,
    /// Connection attempts that failed before `ready` (gateway down, or not serving).
    pub failed_connects: usize,
    /// Resumes completed (`resumed` received).
    pub resumes: usize,
}

impl Followed {
    pub fn ids(&self) -> Vec<Uuid> {
        self.messages.iter().map(|(id, _)| *id).collect()
    }
}

/// Waits (at most 20 s) until a [`spawn_follower`] client got its first `ready`: from then on
/// it receives every message of the channel.
pub async fn follower_ready(followed: &std::sync::Mutex<Followed>) {
    let ready = eventually(Duration::from_secs(20), || async {
        followed.lock().unwrap().readies > 0
    })
    .await;
    assert!(ready, "follower never got ready");
}

/// A client following `channel_id` through gateways that stop, restart and lose NATS: it
/// connects to gateway `start`, and whenever its connection ends (any close code but 4004 and
/// 4005, or a drop) connects to the next gateway with `identify { resume }` from the newest
/// message id it saw. Runs until `stop`; what it saw is readable while it runs.
pub fn spawn_follower(
    gateways: Gateways,
    start: usize,
    token: String,
    channel_id: Uuid,
    stop: CancellationToken,
) -> (std::sync::Arc<std::sync::Mutex<Followed>>, JoinHandle<()>) {
    let followed = std::sync::Arc::new(std::sync::Mutex::new(Followed::default()));
    let log = followed.clone();
    let task = tokio::spawn(async move {
        let mut next = start;
        let mut newest: Option<Uuid> = None;
        // Bounded: a follower that cannot get back in for this many attempts fails the test.
        let mut budget = 300;
        while !stop.is_cancelled() {
            let addr = gateways.pick(next);
            next += 1;
            let ending = tokio::select! {
                _ = stop.cancelled() => break,
                ending = follow_once(addr, &token, channel_id, &mut newest, &log) => ending,
            };
            match ending {
                FollowEnd::NotReady => {
                    log.lock().unwrap().failed_connects += 1;
                    budget -= 1;
                    assert!(budget > 0, "follower could not reconnect");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                FollowEnd::Ended(code) => {
                    assert!(
                        !matches!(code, 4004 | 4005),
                        "follower refused by the gateway: {code}"
                    );
                    log.lock().unwrap().endings.push(code);
                }
            }
        }
    });
    (followed, task)
}

enum FollowEnd {
    /// No `ready`: refused, gateway down, or closed before it.
    NotReady,
    /// Closed with this code after `ready` (0: dropped).
    Ended(u16),
}

async fn follow_once(
    addr: SocketAddr,
    token: &str,
    channel_id: Uuid,
    newest: &mut Option<Uuid>,
    log: &std::sync::Mutex<Followed>,
) -> FollowEnd {
    let url = format!("ws://{addr}/ws");
    let connect = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(&url),
    );
    let Ok(Ok((mut stream, _))) = connect.await else {
        return FollowEnd::NotReady;
    };
    let mut identify = json!({ "token": token });
    if let Some(newest) = newest {
        identify["resume"] = json!({ "channels": { channel_id.to_string(): newest } });
    }
    let frame = json!({ "op": "identify", "d": identify }).to_string();
    if stream.send(Message::Text(frame.into())).await.is_err() {
        return FollowEnd::NotReady;
    }
    let mut ready = false;
    let mut replaying = newest.is_some();
    loop {
        let Ok(next) = tokio::time::timeout(Duration::from_secs(5), stream.next()).await else {
            let heartbeat = json!({ "op": "heartbeat" }).to_string();
            if stream.send(Message::Text(heartbeat.into())).await.is_err() {
                return if ready {
                    FollowEnd::Ended(0)
                } else {
                    FollowEnd::NotReady
                };
            }
            continue;
        };
        let text = match next {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) if ready => {
                return FollowEnd::Ended(frame.map_or(1005, |f| u16::from(f.code)));
            }
            None | Some(Err(_)) if ready => return FollowEnd::Ended(0),
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return FollowEnd::NotReady,
            Some(Ok(_)) => continue,
        };
        let frame: Value = serde_json::from_str(&text).expect("JSON frame");
        match frame["op"].as_str() {
            Some("ready") => {
                ready = true;
                log.lock().unwrap().readies += 1;
            }
            Some("resumed") => {
                replaying = false;
                log.lock().unwrap().resumes += 1;
            }
            Some("event") if frame["t"] == "message_created" => {
                let message = &frame["d"]["message"];
                if message["channel_id"] != json!(channel_id) {
                    continue;
                }
                let id = uuid_of(&message["message_id"]);
                *newest = Some(newest.map_or(id, |n| n.max(id)));
                log.lock().unwrap().messages.push((id, replaying));
            }
            Some("event") if frame["t"] == "resume_gap" => {
                panic!("follower: resume gap (more than 500 missed): {frame}");
            }
            _ => {}
        }
    }
}

/// Checks that `followed` saw every message of `acknowledged` exactly once and nothing else,
/// waiting (at most 30 s) for stragglers. Panics with what is missing or duplicated.
pub async fn assert_each_delivered_once(
    who: &str,
    followed: &std::sync::Mutex<Followed>,
    acknowledged: &[Uuid],
) {
    let expected: std::collections::BTreeSet<Uuid> = acknowledged.iter().copied().collect();
    assert_eq!(
        expected.len(),
        acknowledged.len(),
        "acknowledged ids are not distinct"
    );
    eventually(Duration::from_secs(30), || async {
        let seen: std::collections::BTreeSet<Uuid> =
            followed.lock().unwrap().ids().into_iter().collect();
        expected.is_subset(&seen)
    })
    .await;
    let ids = followed.lock().unwrap().ids();
    let mut counts = std::collections::BTreeMap::<Uuid, usize>::new();
    for id in &ids {
        *counts.entry(*id).or_default() += 1;
    }
    let missing: Vec<&Uuid> = expected
        .iter()
        .filter(|id| !counts.contains_key(id))
        .collect();
    let duplicated: Vec<(&Uuid, &usize)> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let unexpected: Vec<&Uuid> = counts.keys().filter(|id| !expected.contains(id)).collect();
    assert!(
        missing.is_empty() && duplicated.is_empty() && unexpected.is_empty(),
        "{who}: {} acknowledged, {} received; missing {missing:?}, duplicated {duplicated:?}, \
         never acknowledged {unexpected:?}",
        expected.len(),
        ids.len()
    );
}
