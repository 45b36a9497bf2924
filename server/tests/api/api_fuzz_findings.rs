//! Regressions for what schemathesis found (scripts/check-api-fuzz.sh): requests the OpenAPI
//! document allows, or bad input, that the gateway answered wrongly.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

/// A failed login is written to the audit log with the name tried; a NUL in it could not be
/// stored (jsonb holds no U+0000), so the login answered 500 instead of invalid_credentials.
#[tokio::test]
async fn a_login_with_control_characters_in_the_name_is_just_wrong_credentials() {
    let app = spawn_app().await;
    let owner = app.register("fuzzowner").await;
    for username in ["a\u{0}b", "\u{0}", "fuzzowner\u{0}", "tab\there\u{7f}"] {
        let reply = app.login(username, "a long enough passphrase").await;
        assert_eq!(
            (reply.status, reply.code()),
            (401, "invalid_credentials"),
            "{username:?}: {}",
            reply.body
        );
    }
    // The attempts are in the audit log, control characters dropped.
    let log = app
        .get(
            "/api/v1/admin/audit-log?action=login_failed",
            &owner.access_token,
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let names: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["details"]["username"].as_str())
        .collect();
    assert!(names.contains(&"ab"), "{names:?}");
    assert!(names.contains(&"tabhere"), "{names:?}");
}

/// JSON has one number type and JSON Schema's `integer` includes `86400.0`; serde refused it
/// for an integer field ("invalid type: floating point").
#[tokio::test]
async fn integral_numbers_written_with_a_fraction_are_integers() {
    let app = spawn_app().await;
    let owner = app.register("fuzzfloats").await;
    let reply = app
        .send(
            Method::POST,
            "/api/v1/instance/invites",
            Some(&owner.access_token),
            Some(json!({ "max_uses": 2.0, "expires_in_secs": 86400.0 })),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["max_uses"], 2);
    // A real fraction is still not an integer.
    for body in [json!({ "max_uses": 1.5 }), json!({ "max_uses": 2e40 })] {
        let reply = app
            .send(
                Method::POST,
                "/api/v1/instance/invites",
                Some(&owner.access_token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_request"),
            "{body}: {}",
            reply.body
        );
    }
}

/// Kick and ban take an optional body that the document declares nullable; `null` was refused
/// with "the body must be a JSON object".
#[tokio::test]
async fn a_null_moderation_body_means_no_reason() {
    let app = spawn_app().await;
    let owner = app.register("fuzzmodowner").await;
    let kicked = app.register("fuzzkicked").await;
    let banned = app.register("fuzzbanned").await;
    let community_id = app.create_community(&owner, "Nullable", "public").await;
    let base = format!("/api/v1/communities/{community_id}");
    for user in [&kicked, &banned] {
        app.join_community(user, community_id).await;
    }
    let kick = app
        .send(
            Method::POST,
            &format!("{base}/members/{}/kick", kicked.user_id),
            Some(&owner.access_token),
            Some(Value::Null),
        )
        .await;
    assert_eq!(kick.status, 204, "{}", kick.body);
    let ban = app
        .ok(
            Method::PUT,
            &format!("{base}/bans/{}", banned.user_id),
            &owner.access_token,
            Some(Value::Null),
        )
        .await;
    assert_eq!(ban["user_id"], banned.user_id.to_string());
    assert_eq!(ban["reason"], Value::Null);
}

/// The stateful phase created a private community and joined it as its owner: the join
/// answered 404 `not_found` for a community the caller belongs to. A member's join returns
/// their view, whatever the visibility; an outsider still cannot find a private community.
#[tokio::test]
async fn joining_a_private_community_one_belongs_to_returns_the_view() {
    let app = spawn_app().await;
    let owner = app.register("privateowner").await;
    let outsider = app.register("privatestranger").await;
    let community_id = app
        .create_community(&owner, "Private place", "private")
        .await;
    let path = format!("/api/v1/communities/{community_id}/join");

    let reply = app
        .send(Method::POST, &path, Some(&owner.access_token), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["community"]["community_id"], json!(community_id));

    let reply = app
        .send(Method::POST, &path, Some(&outsider.access_token), None)
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (404, "not_found"),
        "{}",
        reply.body
    );
    let members = app
        .get(
            &format!("/api/v1/communities/{community_id}/members"),
            &owner.access_token,
        )
        .await;
    assert_eq!(members.status, 200, "{}", members.body);
    let count = members.body["members"]
        .as_array()
        .map(Vec::len)
        .or_else(|| members.body.as_array().map(Vec::len));
    assert_eq!(count, Some(1), "{}", members.body);
}
