//! The REST calls the bench makes (`/api/v1/...`, documented at `GET /api/v1/openapi.json`).
//! A refused call becomes an [`ApiError`] carrying the server's error code, so a run that hits a
//! rate limit or a closed registration says exactly which setting to change.

use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt;
use uuid::Uuid;

/// A logged-in bench user.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: Uuid,
    pub username: String,
    pub access_token: String,
}

/// A call the server refused (or that never got an answer: status 0).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub what: String,
    pub status: u16,
    /// The server's stable error code (`rate_limited`, `registration_closed`, ...), or a short
    /// description of a transport failure.
    pub code: String,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {}: {}",
            self.what, self.status, self.code, self.message
        )?;
        if let Some(hint) = hint(&self.what, &self.code) {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// What to change on the server when a bench call is refused for a known reason.
fn hint(what: &str, code: &str) -> Option<&'static str> {
    match code {
        "rate_limited" if what.starts_with("register") => Some(
            "raise CHATALOT_AUTH__REGISTER_IP_LIMIT on the target, or spread over --source-ips",
        ),
        "rate_limited" if what.starts_with("login") => {
            Some("raise CHATALOT_AUTH__LOGIN_IP_LIMIT on the target, or spread over --source-ips")
        }
        "registration_closed" | "invite_required" => {
            Some("the bench needs open registration on the target instance")
        }
        "token_expired" | "invalid_token" => Some(
            "the access token may have expired: runs longer than jwt.access_token_ttl_secs need it raised",
        ),
        _ => None,
    }
}

#[derive(Deserialize)]
struct TokensBody {
    user: UserBody,
    access_token: String,
}

#[derive(Deserialize)]
struct UserBody {
    user_id: Uuid,
    username: String,
}

/// The REST API of one gateway, through one HTTP client.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(http: reqwest::Client, base: String) -> Self {
        Self { http, base }
    }

    /// Sends one request; a non-2xx answer or a transport failure is an [`ApiError`].
    async fn call(
        &self,
        what: &str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let failure = |status: u16, code: String, message: String| ApiError {
            what: what.to_string(),
            status,
            code,
            message,
        };
        let response = request.send().await.map_err(|err| {
            let code = if err.is_timeout() {
                "timeout"
            } else if err.is_connect() {
                "connect_failed"
            } else {
                "transport_error"
            };
            failure(0, code.to_string(), err.to_string())
        })?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|err| failure(status, "body_error".to_string(), err.to_string()))?;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            let text = |key: &str| body[key].as_str().unwrap_or("").to_string();
            Err(failure(status, text("code"), text("message")))
        }
    }

    async fn post(
        &self,
        what: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        self.call(what, reqwest::Method::POST, path, token, body)
            .await
    }

    fn session(what: &str, body: Value) -> Result<Session, ApiError> {
        let tokens: TokensBody = serde_json::from_value(body).map_err(|err| ApiError {
            what: what.to_string(),
            status: 200,
            code: "unexpected_body".to_string(),
            message: err.to_string(),
        })?;
        Ok(Session {
            user_id: tokens.user.user_id,
            username: tokens.user.username,
            access_token: tokens.access_token,
        })
    }

    pub async fn register(&self, username: &str, password: &str) -> Result<Session, ApiError> {
        let what = format!("register {username}");
        let body =
            json!({ "username": username, "password": password, "device_name": "chatalot-bench" });
        let reply = self
            .post(&what, "/api/v1/auth/register", None, Some(&body))
            .await?;
        Self::session(&what, reply)
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<Session, ApiError> {
        let what = format!("login {username}");
        let body =
            json!({ "username": username, "password": password, "device_name": "chatalot-bench" });
        let reply = self
            .post(&what, "/api/v1/auth/login", None, Some(&body))
            .await?;
        Self::session(&what, reply)
    }

    /// Creates a public community; returns its id, its first group and its default text channel.
    pub async fn create_community(
        &self,
        owner: &Session,
        name: &str,
    ) -> Result<(Uuid, Uuid, Uuid), ApiError> {
        let what = format!("create community {name}");
        let body = json!({ "name": name, "visibility": "public" });
        let reply = self
            .post(
                &what,
                "/api/v1/communities",
                Some(&owner.access_token),
                Some(&body),
            )
            .await?;
        let community_id = uuid_field(&what, &reply["community_id"])?;
        let view = self
            .call(
                &what,
                reqwest::Method::GET,
                &format!("/api/v1/communities/{community_id}/view"),
                Some(&owner.access_token),
                None,
            )
            .await?;
        let group_id = uuid_field(&what, &view["groups"][0]["group_id"])?;
        let channel = view["channels"]
            .as_array()
            .and_then(|channels| {
                channels
                    .iter()
                    .find(|c| c["channel"]["kind"] == "text")
                    .map(|c| c["channel"]["channel_id"].clone())
            })
            .unwrap_or(Value::Null);
        let channel_id = uuid_field(&what, &channel)?;
        Ok((community_id, group_id, channel_id))
    }

    /// Creates a text channel in `group_id`.
    pub async fn create_channel(
        &self,
        owner: &Session,
        community_id: Uuid,
        group_id: Uuid,
        name: &str,
    ) -> Result<Uuid, ApiError> {
        let what = format!("create channel {name}");
        let body = json!({ "group_id": group_id, "name": name, "kind": "text" });
        let reply = self
            .post(
                &what,
                &format!("/api/v1/communities/{community_id}/channels"),
                Some(&owner.access_token),
                Some(&body),
            )
            .await?;
        uuid_field(&what, &reply["channel_id"])
    }

    /// Joins a public community.
    pub async fn join_community(&self, user: &Session, community_id: Uuid) -> Result<(), ApiError> {
        let what = format!("join community as {}", user.username);
        self.post(
            &what,
            &format!("/api/v1/communities/{community_id}/join"),
            Some(&user.access_token),
            None,
        )
        .await
        .map(|_| ())
    }

    /// Sends a text message; returns its id once the server acknowledged (committed) it.
    pub async fn send_message(
        &self,
        author: &Session,
        channel_id: Uuid,
        nonce: &str,
        body: &str,
    ) -> Result<Uuid, ApiError> {
        let what = "send message";
        let request = json!({ "nonce": nonce, "body": body });
        let reply = self
            .post(
                what,
                &format!("/api/v1/channels/{channel_id}/messages"),
                Some(&author.access_token),
                Some(&request),
            )
            .await?;
        uuid_field(what, &reply["message_id"])
    }
}

fn uuid_field(what: &str, value: &Value) -> Result<Uuid, ApiError> {
    value
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| ApiError {
            what: what.to_string(),
            status: 200,
            code: "unexpected_body".to_string(),
            message: format!("expected a uuid, got {value}"),
        })
}
