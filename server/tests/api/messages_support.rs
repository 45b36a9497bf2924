//! What the channel message tests share: a community with a text channel and members, typed
//! request helpers, and WebSocket event readers.

use crate::helpers::*;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as Frame;
use uuid::Uuid;

/// A public community whose owner and members share its default text channel.
pub struct Room {
    pub owner: Session,
    pub members: Vec<Session>,
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub channel_id: Uuid,
}

impl Room {
    /// `owner` creates the community; each of `members` registers and joins.
    pub async fn open(app: &TestApp, owner: &str, members: &[&str]) -> Room {
        let owner = app.register(owner).await;
        let community_id = app
            .create_community(&owner, &format!("{} room", owner.user_id), "public")
            .await;
        let view = app.community_view(&owner, community_id).await;
        let group_id = uuid_of(&view["groups"][0]["group_id"]);
        let channel_id = view["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"]["kind"] == "text")
            .map(|c| uuid_of(&c["channel"]["channel_id"]))
            .expect("a default text channel");
        let mut joined = Vec::new();
        for name in members {
            let member = app.register(name).await;
            app.join_community(&member, community_id).await;
            joined.push(member);
        }
        Room {
            owner,
            members: joined,
            community_id,
            group_id,
            channel_id,
        }
    }

    pub fn base(&self) -> String {
        format!("/api/v1/communities/{}", self.community_id)
    }

    /// Another text channel in the room's group.
    pub async fn add_channel(&self, app: &TestApp, name: &str, extra: Value) -> Uuid {
        app.create_channel(&self.owner, self.community_id, self.group_id, name, extra)
            .await
    }

    /// Changes a channel's settings (`read_only`, `slow_mode_secs`, ...).
    pub async fn update_channel(&self, app: &TestApp, channel_id: Uuid, changes: Value) {
        app.ok(
            Method::PATCH,
            &format!("{}/channels/{channel_id}", self.base()),
            &self.owner.access_token,
            Some(changes),
        )
        .await;
    }

    /// Hides a channel from `@everyone` (owners and administrators still see it).
    pub async fn hide_channel(&self, app: &TestApp, channel_id: Uuid) {
        app.ok(
            Method::PUT,
            &format!(
                "{}/channels/{channel_id}/overwrites/role/{}",
                self.base(),
                self.community_id
            ),
            &self.owner.access_token,
            Some(json!({ "allow": [], "deny": ["view_channel"] })),
        )
        .await;
    }

    /// Creates a role with `permissions` and gives it to `member`; returns its id.
    pub async fn grant_role(&self, app: &TestApp, member: &Session, permissions: Value) -> Uuid {
        let role = app
            .ok(
                Method::POST,
                &format!("{}/roles", self.base()),
                &self.owner.access_token,
                Some(json!({ "name": format!("r{}", Uuid::new_v4().simple()), "permissions": permissions })),
            )
            .await;
        let role_id = uuid_of(&role["role_id"]);
        app.ok(
            Method::PUT,
            &format!("{}/members/{}/roles/{role_id}", self.base(), member.user_id),
            &self.owner.access_token,
            None,
        )
        .await;
        role_id
    }
}

pub fn messages_path(channel_id: Uuid) -> String {
    format!("/api/v1/channels/{channel_id}/messages")
}

pub fn message_path(channel_id: Uuid, message_id: &Value) -> String {
    format!(
        "/api/v1/channels/{channel_id}/messages/{}",
        message_id.as_str().unwrap()
    )
}

/// Sends any body to a channel.
pub async fn post_message(app: &TestApp, user: &Session, channel_id: Uuid, body: Value) -> Reply {
    app.send(
        Method::POST,
        &messages_path(channel_id),
        Some(&user.access_token),
        Some(body),
    )
    .await
}

/// Sends `text` with a fresh nonce; panics unless it is created.
pub async fn say(app: &TestApp, user: &Session, channel_id: Uuid, text: &str) -> Value {
    let reply = post_message(
        app,
        user,
        channel_id,
        json!({ "nonce": Uuid::new_v4().to_string(), "body": text }),
    )
    .await;
    assert_eq!(reply.status, 201, "send {text:?}: {}", reply.body);
    reply.body
}

/// The main history with a query string (`""` for the newest page).
pub async fn history(app: &TestApp, user: &Session, channel_id: Uuid, query: &str) -> Vec<Value> {
    let body = app
        .ok(
            Method::GET,
            &format!("{}{query}", messages_path(channel_id)),
            &user.access_token,
            None,
        )
        .await;
    body["messages"].as_array().unwrap().clone()
}

pub fn bodies(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect()
}

/// Records an upload of `uploader` directly in message-svc's table (what the gateway's upload
/// route does once the bytes are stored), so messages can carry it.
pub async fn stored_upload(app: &TestApp, uploader: &Session) -> Uuid {
    let db = sqlx::PgPool::connect(app.env.config.database.url.expose())
        .await
        .unwrap();
    let attachment_id = Uuid::now_v7();
    sqlx::query(
        "insert into message.attachments \
            (attachment_id, uploader_id, storage_key, filename, content_type, size_bytes) \
         values ($1, $2, $3, 'notes.txt', 'text/plain', 12)",
    )
    .bind(attachment_id)
    .bind(uploader.user_id)
    .bind(format!("test/{attachment_id}"))
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    attachment_id
}

/// Events whose name starts with one of `prefixes`, until `count` of them arrived.
pub async fn events_named(ws: &mut WsClient, prefixes: &[&str], count: usize) -> Vec<Value> {
    let mut found = Vec::new();
    while found.len() < count {
        let frame = ws.next_json().await;
        let name = frame["t"].as_str().unwrap_or("");
        if frame["op"] == "event" && prefixes.iter().any(|p| name.starts_with(p)) {
            found.push(frame);
        }
    }
    found
}

/// Every event frame that arrives within `within` (for proving something did not come).
pub async fn events_within(ws: &mut WsClient, within: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    let mut frames = Vec::new();
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, ws.stream.next()).await {
        if let Frame::Text(text) = frame {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["op"] == "event" && !is_presence_event(&value) {
                frames.push(value);
            }
        }
    }
    frames
}
