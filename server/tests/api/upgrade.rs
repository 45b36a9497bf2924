//! Upgrading: a database created by the previous release's migrations and filled through its
//! API (`fixtures/release-b54c5ed.sql`, made by `fixtures/make-release-fixture.sh`, which lists
//! the data) is restored into a fresh database; the current services start on it, apply the
//! migrations added since, keep the applied ones untouched, and serve the old data through the
//! current API. docs/operations.md ("Testing the upgrade path") says how to refresh the fixture
//! at each release.

use crate::helpers::*;
use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, migrate::Migrator};
use std::{collections::BTreeMap, path::Path};
use uuid::Uuid;

/// The previous release's database, as plain SQL (INSERTs, no psql meta-commands).
const FIXTURE: &str = include_str!("../fixtures/release-b54c5ed.sql");

/// Migrations added since the fixture's release, by schema: the fixture must not have them and
/// the upgrade must apply them. Update when the fixture is refreshed.
const NEW_SINCE_FIXTURE: &[(&str, i64)] = &[("auth", 4), ("message", 102)];

/// Every service schema and the folder of its migrations (relative to this crate).
const SCHEMAS: &[(&str, &str)] = &[
    ("auth", "../auth-svc/migrations"),
    ("community", "../community-svc/migrations"),
    ("message", "../message-svc/migrations"),
    ("keys", "../keys-svc/migrations"),
    ("signal", "../signal-svc/migrations"),
];

const OWNER: (&str, &str) = ("fixture_owner", "owner of the release fixture");
const MEMBER: (&str, &str) = ("fixture_member", "member of the release fixture");
/// The identity keys the fixture's devices were registered with.
const LAPTOP_IDENTITY: &str = "BUeu60BkZxUEMgKqoTrNDnXF9u43hYEi2vkQmXKpYshm";
const PHONE_IDENTITY: &str = "BRdCcBG8ZjdN6US2f7EHXBsdZBcsBoQo7Kh5IULHG5Nw";
const PHONE_SIGNED_PREKEY: &str = "BS9kL9DtahF2b9DDevvzwpHQgZFn2wEVlgpEiGmJoc8A";
const PHONE_ONE_TIME_PREKEYS: &[&str] = &[
    "BZRp1eJNBGIKtdw+HpDzBdzhrbc0tdndBNN7QoM8/uQo",
    "BXZwbDY69NcGxmCvorrYU6/67DSU7BluhYRRqRUXBGkM",
    "Bcn4oL8oWiaKSV6V8+alBsqK5nPNN+Wj5EmKOSO8JZdu",
];
/// 👍, percent-encoded for the URL.
const THUMBS_UP: &str = "%F0%9F%91%8D";

/// (version, checksum, success) of each applied migration, by schema; a schema without a
/// migrations table has none.
type Applied = BTreeMap<&'static str, Vec<(i64, Vec<u8>, bool)>>;

async fn applied_migrations(conn: &mut PgConnection) -> Applied {
    let mut applied = Applied::new();
    for (schema, _) in SCHEMAS {
        let table = format!("{schema}._sqlx_migrations");
        let exists: Option<String> = sqlx::query_scalar("select to_regclass($1)::text")
            .bind(&table)
            .fetch_one(&mut *conn)
            .await
            .expect("look up the migrations table");
        let rows = match exists {
            Some(_) => sqlx::query_as(&format!(
                "select version, checksum, success from {table} order by version"
            ))
            .fetch_all(&mut *conn)
            .await
            .expect("read the migrations table"),
            None => Vec::new(),
        };
        applied.insert(*schema, rows);
    }
    applied
}

/// What the current code's migrations are, by schema, as they are recorded once applied.
async fn current_migrations() -> Applied {
    let mut current = Applied::new();
    for (schema, dir) in SCHEMAS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let migrator = Migrator::new(dir.as_path())
            .await
            .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()));
        let rows = migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| (m.version, m.checksum.to_vec(), true))
            .collect();
        current.insert(*schema, rows);
    }
    current
}

/// Creates a fresh database and restores the fixture into it through sqlx (no psql needed);
/// returns the migrations the fixture had applied.
async fn restore_fixture(env: &TestEnv) -> Applied {
    assert!(
        !FIXTURE.lines().any(|line| line.starts_with('\\')),
        "the fixture must be plain SQL, without psql meta-commands"
    );
    let mut conn = PgConnection::connect(env.config.database.url.expose())
        .await
        .expect("connect to the test database");
    sqlx::raw_sql(FIXTURE)
        .execute(&mut conn)
        .await
        .expect("restore the fixture");
    let applied = applied_migrations(&mut conn).await;
    conn.close().await.ok();
    applied
}

async fn logged_in(app: &TestApp, (username, password): (&str, &str)) -> Session {
    let reply = app.login(username, password).await;
    assert_eq!(reply.status, 200, "login {username}: {}", reply.body);
    Session::from_json(&reply.body)
}

fn decoded(ciphertext: &Value) -> String {
    let bytes = STANDARD
        .decode(ciphertext.as_str().expect("base64 string"))
        .expect("base64");
    String::from_utf8(bytes).expect("UTF-8")
}

#[tokio::test]
async fn a_database_of_the_previous_release_migrates_on_start_with_its_data_intact() {
    let env = TestEnv::new().await;
    let before = restore_fixture(&env).await;
    for (schema, version) in NEW_SINCE_FIXTURE {
        assert!(
            !before[schema].iter().any(|(v, _, _)| v == version),
            "the fixture already has {schema} migration {version}"
        );
    }
    assert!(
        !before["auth"].is_empty(),
        "the fixture holds no migrations"
    );

    let app = spawn_app_on(env).await;

    // The migrations: the old ones untouched (same versions and checksums, which the services
    // verify as they start), the new ones applied, nothing else.
    let mut conn = PgConnection::connect(app.env.config.database.url.expose())
        .await
        .expect("connect to the test database");
    let after = applied_migrations(&mut conn).await;
    conn.close().await.ok();
    let current = current_migrations().await;
    assert_eq!(after, current, "applied migrations differ from the code's");
    for (schema, old) in &before {
        assert!(
            after[schema].starts_with(old),
            "{schema}: migrations the fixture had applied changed"
        );
    }
    for (schema, version) in NEW_SINCE_FIXTURE {
        assert!(after[schema].iter().any(|(v, _, ok)| v == version && *ok));
    }

    // Both accounts log in with their old passwords; wrong ones still fail.
    let owner = logged_in(&app, OWNER).await;
    let member = logged_in(&app, MEMBER).await;
    assert_eq!(
        app.login(OWNER.0, "not the password at all").await.status,
        401
    );
    let me = app.get("/api/v1/users/@me", &owner.access_token).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["display_name"], "Fixture Owner");
    assert_eq!(
        me.body["role"], "owner",
        "the first account owns the instance"
    );
    // The session the old release opened is still listed beside the new one.
    let sessions = app.get("/api/v1/sessions", &owner.access_token).await;
    let names: Vec<&Value> = sessions.body["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| &s["device_name"])
        .collect();
    assert!(
        names.contains(&&json!("fixture laptop")),
        "{}",
        sessions.body
    );

    // The community with its group and channel, and both members.
    let views = app
        .get("/api/v1/users/@me/communities", &member.access_token)
        .await;
    assert_eq!(views.status, 200, "{}", views.body);
    let views = views.body["views"].as_array().expect("views").clone();
    assert_eq!(views.len(), 1, "{views:?}");
    let view = &views[0];
    assert_eq!(view["community"]["name"], "Fixture Community");
    let community_id = uuid_of(&view["community"]["community_id"]);
    let group = view["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == "Fixture Group")
        .expect("the fixture's group")
        .clone();
    let channel = view["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| &c["channel"])
        .find(|c| c["name"] == "fixture-channel")
        .expect("the fixture's channel")
        .clone();
    assert_eq!(channel["group_id"], group["group_id"]);
    assert_eq!(channel["kind"], "text");
    let channel_id = uuid_of(&channel["channel_id"]);
    let members = app
        .get(
            &format!("/api/v1/communities/{community_id}/members"),
            &owner.access_token,
        )
        .await;
    let mut usernames: Vec<&str> = members.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["username"].as_str())
        .collect();
    usernames.sort_unstable();
    assert_eq!(usernames, [MEMBER.0, OWNER.0], "sorted");

    // The channel's messages: the reply, the edit (with its history), the reaction, the pin
    // and the member's read marker.
    let history = app
        .get(
            &format!("/api/v1/channels/{channel_id}/messages"),
            &member.access_token,
        )
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let messages = history.body["messages"]
        .as_array()
        .expect("messages")
        .clone();
    let bodies: Vec<&str> = messages.iter().filter_map(|m| m["body"].as_str()).collect();
    assert_eq!(
        bodies,
        [
            "hello from the previous release",
            "a reply",
            "after the edit"
        ]
    );
    let (first, reply, edited) = (&messages[0], &messages[1], &messages[2]);
    assert_eq!(first["author_id"], json!(owner.user_id));
    assert_eq!(reply["author_id"], json!(member.user_id));
    assert_eq!(reply["reply_to"], first["message_id"]);
    assert!(first["pinned"].as_bool().expect("pinned"));
    assert_eq!(
        first["reactions"],
        json!([{ "emoji": "👍", "count": 1, "me": true }])
    );
    assert!(first["edited_at"].is_null());
    assert!(edited["edited_at"].is_string(), "{edited}");
    let edits = app
        .get(
            &format!(
                "/api/v1/channels/{channel_id}/messages/{}/edits",
                uuid_of(&edited["message_id"])
            ),
            &owner.access_token,
        )
        .await;
    assert_eq!(edits.status, 200, "{}", edits.body);
    assert_eq!(edits.body["edits"][0]["body"], "before the edit");
    let reacted = app
        .get(
            &format!(
                "/api/v1/channels/{channel_id}/messages/{}/reactions/{THUMBS_UP}",
                uuid_of(&first["message_id"])
            ),
            &owner.access_token,
        )
        .await;
    assert_eq!(reacted.body["user_ids"], json!([member.user_id]));
    let read = app
        .get(
            &format!("/api/v1/channels/{channel_id}/read"),
            &member.access_token,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["last_read_message_id"], first["message_id"]);
    assert_eq!(read.body["unread_count"], 1, "{}", read.body);

    // The devices and their keys.
    let devices = app
        .get(
            &format!("/api/v1/users/{}/devices", member.user_id),
            &owner.access_token,
        )
        .await;
    assert_eq!(devices.status, 200, "{}", devices.body);
    let devices = devices.body["devices"].as_array().expect("devices").clone();
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["name"], "Fixture Phone");
    assert_eq!(devices[0]["identity_key"], PHONE_IDENTITY);
    let phone = uuid_of(&devices[0]["device_id"]);
    let owner_devices = app
        .get(
            &format!("/api/v1/users/{}/devices", owner.user_id),
            &member.access_token,
        )
        .await;
    assert_eq!(owner_devices.body["devices"][0]["name"], "Fixture Laptop");
    assert_eq!(
        owner_devices.body["devices"][0]["identity_key"],
        LAPTOP_IDENTITY
    );
    let laptop = uuid_of(&owner_devices.body["devices"][0]["device_id"]);
    let bundle = app
        .get(
            &format!("/api/v1/devices/{phone}/bundle"),
            &owner.access_token,
        )
        .await;
    assert_eq!(bundle.status, 200, "{}", bundle.body);
    assert_eq!(bundle.body["identity_key"], PHONE_IDENTITY);
    assert_eq!(bundle.body["signed_prekey"]["key_id"], 1);
    assert_eq!(
        bundle.body["signed_prekey"]["public_key"],
        PHONE_SIGNED_PREKEY
    );
    let one_time = bundle.body["one_time_prekey"]["public_key"]
        .as_str()
        .expect("a one-time prekey left");
    assert!(PHONE_ONE_TIME_PREKEYS.contains(&one_time), "{one_time}");

    // The conversation, and its envelope as each device reads it.
    let conversations = app.get("/api/v1/conversations", &member.access_token).await;
    assert_eq!(conversations.status, 200, "{}", conversations.body);
    let conversation = &conversations.body["conversations"][0];
    assert_eq!(conversation["kind"], "direct");
    let mut member_ids = vec![
        uuid_of(&conversation["member_ids"][0]),
        uuid_of(&conversation["member_ids"][1]),
    ];
    member_ids.sort();
    let mut expected = vec![owner.user_id, member.user_id];
    expected.sort();
    assert_eq!(member_ids, expected);
    let conversation_id = uuid_of(&conversation["conversation_id"]);
    for (user, device, secret) in [
        (&member, phone, "sealed for the member's phone"),
        (&owner, laptop, "sealed for the owner's laptop"),
    ] {
        let page = app
            .get(
                &format!("/api/v1/conversations/{conversation_id}/messages?device_id={device}"),
                &user.access_token,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let message = &page.body["messages"][0];
        assert_eq!(message["author_id"], json!(owner.user_id));
        assert_eq!(message["sender_device_id"], laptop.to_string());
        assert_eq!(
            message["ciphertexts"].as_array().map(Vec::len),
            Some(1),
            "{message}"
        );
        assert_eq!(message["ciphertexts"][0]["device_id"], device.to_string());
        assert_eq!(decoded(&message["ciphertexts"][0]["ciphertext"]), secret);
    }

    // What the new migration added works for old accounts: presence (auth 0004) starts at the
    // default and keeps a choice.
    let presence = app
        .get("/api/v1/users/@me/presence", &member.access_token)
        .await;
    assert_eq!(presence.status, 200, "{}", presence.body);
    assert_eq!(presence.body["status"], "online");
    let chosen = json!({ "status": "dnd", "custom_status": { "text": "upgraded" } });
    let set = app
        .send(
            Method::PUT,
            "/api/v1/users/@me/presence",
            Some(&member.access_token),
            Some(chosen),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let presence = app
        .get("/api/v1/users/@me/presence", &member.access_token)
        .await;
    assert_eq!(presence.body["status"], "dnd");
    assert_eq!(presence.body["custom_status"]["text"], "upgraded");

    // The old data takes new writes: a message after the old ones, over a WebSocket whose ready
    // snapshot lists the old community.
    let mut ws = WsClient::connect(&app.gateway.ws_url()).await;
    assert_eq!(ws.next_json().await["op"], "hello");
    ws.send_json(json!({ "op": "identify", "d": { "token": owner.access_token } }))
        .await;
    let ready = ws.next_json().await;
    assert_eq!(ready["op"], "ready", "{ready}");
    assert!(ready.to_string().contains(&community_id.to_string()));
    let sent = app
        .ok(
            Method::POST,
            &format!("/api/v1/channels/{channel_id}/messages"),
            &member.access_token,
            Some(json!({ "nonce": "after-upgrade", "body": "written after the upgrade" })),
        )
        .await;
    let created = ws.next_event("message_created").await;
    assert_eq!(created["message"]["message_id"], sent["message_id"]);
    let history = app
        .get(
            &format!("/api/v1/channels/{channel_id}/messages"),
            &owner.access_token,
        )
        .await;
    let ids: Vec<Uuid> = history.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| uuid_of(&m["message_id"]))
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[3], uuid_of(&sent["message_id"]));
}
