//! The authorisation sweep, generated from the OpenAPI document, so a new operation is swept
//! the day it is added:
//!
//! - every operation that declares bearer security, called without a token, with an expired and
//!   with a tampered one: 401 with the matching code;
//! - every operation that names an object in its path, called by an outsider (a user who shares
//!   no community or conversation with the owner) with the ids of the owner's real objects: 403
//!   or 404 (the permission check answers, not validation), never a byte of the objects' data;
//!   and afterwards nothing of the owner's has changed;
//! - every call command over the WebSocket on the owner's voice channel and conversation: an
//!   error reply.
//!
//! Request bodies are generated from the operation's schema (required fields only, ids taken
//! from the owner's objects by field name), so the permission check is what answers.

use crate::{
    e2e_client::Device,
    helpers::*,
    messages_support::{post_message, stored_upload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::Method;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// Operations any visitor may call (they declare no security). A new one must be added here on
/// purpose.
const PUBLIC: &[&str] = &[
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/register",
    "GET /api/v1/instance",
    "GET /api/v1/invites/{code}",
];

/// Operations an outsider may call with the owner's ids, and why.
const OUTSIDER_MAY: &[(&str, &str)] = &[
    // Whoever holds an invite code may preview and use it: that is what the code is for.
    ("GET /api/v1/invites/{code}", "an invite preview is public"),
    (
        "POST /api/v1/invites/{code}/accept",
        "an invite code lets its holder join",
    ),
    // The caller's own block list; the id names whom to block, not something of theirs.
    (
        "PUT /api/v1/users/@me/blocks/{user_id}",
        "anyone may block anyone",
    ),
    (
        "DELETE /api/v1/users/@me/blocks/{user_id}",
        "unblocking someone not blocked is a no-op",
    ),
];

struct Operation {
    method: Method,
    path: String,
    secured: bool,
    body: Option<Value>,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let body = op["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|s| Value::Object(s.clone()));
            found.push(Operation {
                method,
                path: path.clone(),
                secured,
                body,
            });
        }
    }
    found
}

/// The path with each `{name}` replaced by `ids[name]` (or a fresh UUID when unknown).
fn fill(path: &str, ids: &HashMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let name = &rest[start + 1..end];
        out.push_str(
            &ids.get(name)
                .cloned()
                .unwrap_or_else(|| Uuid::new_v4().to_string()),
        );
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A body with the schema's required fields: ids by field name from `ids`, the first value of
/// enums, small valid scalars otherwise.
fn sample(
    schema: &Value,
    doc: &Value,
    ids: &HashMap<&str, String>,
    field: &str,
    depth: u8,
) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return sample(
            &doc["components"]["schemas"][name],
            doc,
            ids,
            field,
            depth + 1,
        );
    }
    for combinator in ["allOf", "oneOf", "anyOf"] {
        if let Some(first) = schema[combinator]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["type"] != "null").or_else(|| a.first()))
        {
            return sample(first, doc, ids, field, depth + 1);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null")
            .to_string(),
        _ if schema["properties"].is_object() => "object".into(),
        _ => "null".into(),
    };
    match kind.as_str() {
        "object" => {
            let mut object = Map::new();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for name in required {
                let property = &schema["properties"][name];
                object.insert(name.into(), sample(property, doc, ids, name, depth + 1));
            }
            Value::Object(object)
        }
        "array" => json!([]),
        "boolean" => json!(false),
        "integer" | "number" => schema["minimum"]
            .as_i64()
            .map_or(json!(1), |m| json!(m.max(1))),
        _ => match schema["format"].as_str() {
            Some("uuid") => json!(
                ids.get(field)
                    .cloned()
                    .unwrap_or_else(|| Uuid::new_v4().to_string())
            ),
            Some("date-time") => {
                json!((chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339())
            }
            _ => json!("sweep"),
        },
    }
}

async fn openapi(app: &TestApp) -> Value {
    reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_secured_operation_refuses_missing_expired_and_tampered_tokens() {
    let app = spawn_app().await;
    let doc = openapi(&app).await;
    let session = app.register("sweeptokens").await;
    let expired = sign_access_token(&app, &expired_claims(&session));
    let tampered = tampered_token(&session);

    let operations = operations(&doc);
    assert!(
        operations.len() > 100,
        "the document lists {} operations",
        operations.len()
    );
    let public: Vec<String> = operations
        .iter()
        .filter(|op| !op.secured)
        .map(Operation::name)
        .collect();
    assert_eq!(public, PUBLIC, "operations without bearer security");

    let ids = HashMap::from([
        ("code", "sweepcode".to_string()),
        ("emoji", "%F0%9F%91%8D".into()),
    ]);
    for op in operations.iter().filter(|op| op.secured) {
        let path = fill(&op.path, &ids);
        let body = op.body.as_ref().map(|s| sample(s, &doc, &ids, "", 0));
        for (token, code) in [
            (None, "missing_token"),
            (Some(expired.as_str()), "token_expired"),
            (Some(tampered.as_str()), "invalid_token"),
        ] {
            let reply = app
                .send(op.method.clone(), &path, token, body.clone())
                .await;
            assert_eq!(
                (reply.status, reply.code()),
                (401, code),
                "{} with {code:?}: {}",
                op.name(),
                reply.body
            );
        }
    }
}

/// The owner's objects, all marked with `marker` where they carry text.
struct Estate {
    marker: String,
    ids: HashMap<&'static str, String>,
    owner: Session,
    member: Session,
    message_id: Uuid,
    channel_id: Uuid,
    community_id: Uuid,
}

async fn estate(app: &TestApp) -> Estate {
    let marker = format!("SECRET{}", Uuid::new_v4().simple());
    let owner = app.register("sweepowner").await;
    let member = app.register("sweepmember").await;
    let community_id = app.create_community(&owner, &marker, "private").await;
    let invite = app
        .ok(
            Method::POST,
            &format!("/api/v1/communities/{community_id}/invites"),
            &owner.access_token,
            Some(json!({})),
        )
        .await;
    let code = invite["code"].as_str().expect("invite code").to_string();
    let third = app.register("sweepthird").await;
    for joining in [&member, &third] {
        app.ok(
            Method::POST,
            &format!("/api/v1/invites/{code}/accept"),
            &joining.access_token,
            None,
        )
        .await;
    }
    let view = app.community_view(&owner, community_id).await;
    let channel_of = |kind: &str| {
        view["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"]["kind"] == kind)
            .map(|c| uuid_of(&c["channel"]["channel_id"]))
    };
    let channel_id = channel_of("text").expect("a text channel");
    let voice_id = channel_of("voice");
    let group_id = uuid_of(&view["groups"][0]["group_id"]);
    let role = app
        .ok(
            Method::POST,
            &format!("/api/v1/communities/{community_id}/roles"),
            &owner.access_token,
            Some(json!({ "name": format!("{marker}role"), "permissions": [] })),
        )
        .await;
    let role_id = uuid_of(&role["role_id"]);
    let message = post_message(
        app,
        &owner,
        channel_id,
        json!({ "nonce": Uuid::new_v4().to_string(), "body": format!("{marker} message") }),
    )
    .await;
    assert_eq!(message.status, 201, "{}", message.body);
    let message_id = uuid_of(&message.body["message_id"]);
    app.ok(
        Method::PUT,
        &format!("/api/v1/channels/{channel_id}/messages/{message_id}/reactions/%F0%9F%91%8D"),
        &owner.access_token,
        None,
    )
    .await;
    app.ok(
        Method::PUT,
        &format!("/api/v1/channels/{channel_id}/pins/{message_id}"),
        &owner.access_token,
        None,
    )
    .await;
    let conversation = app
        .ok(
            Method::POST,
            "/api/v1/conversations",
            &owner.access_token,
            Some(json!({
                "member_ids": [member.user_id, third.user_id],
                "name": format!("{marker}group"),
            })),
        )
        .await;
    let conversation_id = uuid_of(&conversation["conversation_id"]);
    let attachment_id = stored_upload(app, &owner).await;
    let device = Device::register(app, owner.clone(), &format!("{marker}device")).await;

    let mut ids: HashMap<&'static str, String> = HashMap::new();
    for (name, id) in [
        ("community_id", community_id),
        ("channel_id", channel_id),
        ("group_id", group_id),
        ("role_id", role_id),
        ("subject_id", role_id),
        ("message_id", message_id),
        ("root_id", message_id),
        ("conversation_id", conversation_id),
        ("attachment_id", attachment_id),
        ("device_id", device.device_id),
        ("session_id", owner.session_id),
        ("user_id", member.user_id),
        ("to_channel_id", channel_id),
        ("reply_to", message_id),
        ("thread_root_id", message_id),
    ] {
        ids.insert(name, id.to_string());
    }
    if let Some(voice_id) = voice_id {
        ids.insert("voice_channel_id", voice_id.to_string());
    }
    ids.insert("code", code);
    ids.insert("emoji", "%F0%9F%91%8D".into());
    ids.insert("subject_kind", "role".into());
    Estate {
        marker,
        ids,
        owner,
        member,
        message_id,
        channel_id,
        community_id,
    }
}

/// Bodies the schema cannot describe well enough to pass validation (non-empty lists, keys of
/// the right shape), so that the permission check is what refuses them.
fn realistic_body(operation: &str, estate: &Estate) -> Option<Value> {
    let key = STANDARD.encode([[5u8].as_slice(), &[9u8; 32]].concat());
    let body = match operation {
        "POST /api/v1/channels/{channel_id}/messages" => {
            json!({ "nonce": Uuid::new_v4().to_string(), "body": "sweep" })
        }
        "POST /api/v1/conversations/{conversation_id}/members" => {
            json!({ "member_ids": [estate.member.user_id] })
        }
        "POST /api/v1/conversations/{conversation_id}/messages" => json!({
            "nonce": Uuid::new_v4().to_string(),
            "envelope": {
                "sender_device_id": "sweep",
                "recipients": [{
                    "user_id": estate.owner.user_id,
                    "device_id": "sweep",
                    "ciphertext": STANDARD.encode(b"sweep"),
                }],
            },
        }),
        "POST /api/v1/devices/{device_id}/one-time-prekeys" => {
            json!({ "one_time_prekeys": [{ "key_id": 999, "public_key": key }] })
        }
        "PUT /api/v1/devices/{device_id}/signed-prekey" => {
            json!({ "key_id": 2, "public_key": key, "signature": STANDARD.encode([0u8; 64]) })
        }
        _ => return None,
    };
    Some(body)
}

#[tokio::test]
async fn an_outsider_gets_nothing_of_another_communitys_or_conversations_objects() {
    let app = spawn_app().await;
    let doc = openapi(&app).await;
    let estate = estate(&app).await;
    let outsider = app.register("sweepoutsider").await;
    let allowed: HashMap<&str, &str> = OUTSIDER_MAY.iter().copied().collect();

    let mut swept = 0;
    let mut statuses: std::collections::BTreeMap<u16, usize> = Default::default();
    for op in operations(&doc) {
        if !op.path.contains('{') || allowed.contains_key(op.name().as_str()) {
            continue;
        }
        let path = fill(&op.path, &estate.ids);
        let body = realistic_body(&op.name(), &estate).or_else(|| {
            op.body
                .as_ref()
                .map(|s| sample(s, &doc, &estate.ids, "", 0))
        });
        let reply = app
            .send(
                op.method.clone(),
                &path,
                Some(&outsider.access_token),
                body.clone(),
            )
            .await;
        assert!(
            matches!(reply.status, 403 | 404),
            "{} as an outsider answered {} (body sent: {body:?}): {}",
            op.name(),
            reply.status,
            reply.body
        );
        assert!(
            !reply.body.to_string().contains(&estate.marker),
            "{} leaked the owner's data: {}",
            op.name(),
            reply.body
        );
        *statuses.entry(reply.status).or_insert(0) += 1;
        swept += 1;
    }
    assert!(swept > 60, "only {swept} operations take an object id");
    // The permission check answered, not body validation.
    let refused = statuses.get(&403).unwrap_or(&0) + statuses.get(&404).unwrap_or(&0);
    assert_eq!(refused, swept, "statuses {statuses:?}");

    // Nothing of the owner's changed: the community, its message, the member, the session.
    let view = app.community_view(&estate.owner, estate.community_id).await;
    assert_eq!(view["community"]["name"], estate.marker.as_str());
    let history = app
        .get(
            &format!("/api/v1/channels/{}/messages", estate.channel_id),
            &estate.member.access_token,
        )
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let messages = history.body["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| uuid_of(&m["message_id"]) == estate.message_id
                && !m["deleted"].as_bool().unwrap()),
        "{}",
        history.body
    );
    assert_eq!(
        app.get("/api/v1/users/@me", &estate.owner.access_token)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_outsiders_call_commands_on_anothers_channel_or_conversation_fail() {
    let app = spawn_app().await;
    let estate = estate(&app).await;
    let outsider = app.register("sweepcaller").await;
    let mut ws = WsClient::identified(&app.gateway.ws_url(), &outsider.access_token).await;
    let mut calls = vec![json!({ "kind": "conversation", "id": estate.ids["conversation_id"] })];
    if let Some(voice) = estate.ids.get("voice_channel_id") {
        calls.push(json!({ "kind": "channel", "id": voice }));
    }
    let mut n = 0;
    for call in calls {
        for command in [
            json!({ "action": "join", "call": call }),
            json!({ "action": "update_state", "call": call, "muted": true }),
            json!({ "action": "signal", "call": call, "to_user_id": estate.owner.user_id,
                    "signal": { "type": "offer", "sdp": "v=0" } }),
            json!({ "action": "leave", "call": call }),
        ] {
            n += 1;
            let reference = format!("sweep{n}");
            let mut frame = command.clone();
            frame["ref"] = json!(reference);
            ws.send_json(json!({ "op": "call", "d": frame })).await;
            let reply = loop {
                let frame = ws.next_json().await;
                if frame["op"] == "reply" && frame["d"]["ref"] == reference.as_str() {
                    break frame["d"].clone();
                }
            };
            let harmless_leave = command["action"] == "leave" && reply["ok"] == json!({});
            assert!(
                reply["error"].is_object() || harmless_leave,
                "{command} as an outsider: {reply}"
            );
            assert!(!reply.to_string().contains(&estate.marker), "{reply}");
        }
    }
}
