//! Members and moderation through the gateway: the member list, nicknames, role assignment,
//! kicks, bans, timeouts, warnings, and the audit log that records them.

use crate::helpers::*;
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn user_ids(page: &Value) -> Vec<Uuid> {
    page["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| uuid_of(&m["user_id"]))
        .collect()
}

#[tokio::test]
async fn members_are_listed_renamed_and_given_roles() {
    let app = spawn_app().await;
    let owner = app.register("mem_owner").await;
    let alice = app.register("mem_alice").await;
    let bob = app.register("mem_bob").await;
    let community_id = app.create_community(&owner, "Members", "public").await;
    let base = format!("/api/v1/communities/{community_id}");
    app.join_community(&alice, community_id).await;
    app.join_community(&bob, community_id).await;
    let token = owner.access_token.as_str();

    let page = app
        .ok(Method::GET, &format!("{base}/members"), token, None)
        .await;
    let mut all = user_ids(&page);
    all.sort_unstable();
    let mut expected = vec![owner.user_id, alice.user_id, bob.user_id];
    expected.sort_unstable();
    assert_eq!(all, expected);
    let found = app
        .ok(
            Method::GET,
            &format!("{base}/members?query=ALIC"),
            token,
            None,
        )
        .await;
    assert_eq!(user_ids(&found), [alice.user_id]);
    assert_eq!(found["members"][0]["username"], "mem_alice");

    // Pages of one, following the cursor.
    let mut seen = Vec::new();
    let mut path = format!("{base}/members?limit=1");
    for _ in 0..10 {
        let page = app.ok(Method::GET, &path, token, None).await;
        let ids = user_ids(&page);
        assert!(ids.len() <= 1, "{page}");
        seen.extend(ids);
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{base}/members?limit=1&after={cursor}"),
            None => break,
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, expected);

    // Own nickname: set, read, cleared by an empty string.
    let alice_path = format!("{base}/members/{}", alice.user_id);
    let nick = app
        .ok(
            Method::PATCH,
            &alice_path,
            &alice.access_token,
            Some(json!({ "nickname": "Ali" })),
        )
        .await;
    assert_eq!(nick["nickname"], "Ali");
    assert_eq!(
        app.ok(Method::GET, &alice_path, &bob.access_token, None)
            .await["nickname"],
        "Ali"
    );
    let by_bob = app
        .send(
            Method::PATCH,
            &alice_path,
            Some(&bob.access_token),
            Some(json!({ "nickname": "Silly" })),
        )
        .await;
    assert_eq!((by_bob.status, by_bob.code()), (403, "forbidden"));
    let cleared = app
        .ok(
            Method::PATCH,
            &alice_path,
            &alice.access_token,
            Some(json!({ "nickname": "" })),
        )
        .await;
    assert_eq!(cleared["nickname"], Value::Null);
    let by_owner = app
        .ok(
            Method::PATCH,
            &alice_path,
            token,
            Some(json!({ "nickname": "Alice B." })),
        )
        .await;
    assert_eq!(by_owner["nickname"], "Alice B.");

    // Roles: assigned and removed; a member without manage_roles may not.
    let role = app
        .ok(
            Method::POST,
            &format!("{base}/roles"),
            token,
            Some(json!({ "name": "Regular" })),
        )
        .await;
    let role_id = role["role_id"].as_str().unwrap().to_string();
    let role_path = format!("{alice_path}/roles/{role_id}");
    let refused = app
        .send(Method::PUT, &role_path, Some(&bob.access_token), None)
        .await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
    let assigned = app.ok(Method::PUT, &role_path, token, None).await;
    assert_eq!(assigned["role_ids"], json!([role_id]));
    let assigned_again = app.ok(Method::PUT, &role_path, token, None).await;
    assert_eq!(assigned_again["role_ids"], json!([role_id]), "idempotent");
    let removed = app.ok(Method::DELETE, &role_path, token, None).await;
    assert_eq!(removed["role_ids"], json!([]));
    let everyone = app
        .send(
            Method::PUT,
            &format!("{alice_path}/roles/{community_id}"),
            Some(token),
            None,
        )
        .await;
    assert!(
        (400..500).contains(&everyone.status),
        "@everyone is not assignable: {} {}",
        everyone.status,
        everyone.body
    );
}

#[tokio::test]
async fn kicks_bans_timeouts_and_warnings_are_enforced_and_audited() {
    let app = spawn_app().await;
    let owner = app.register("mod_owner").await;
    let kicked = app.register("mod_kicked").await;
    let banned = app.register("mod_banned").await;
    let quiet = app.register("mod_quiet").await;
    let community_id = app.create_community(&owner, "Moderated", "public").await;
    let base = format!("/api/v1/communities/{community_id}");
    for user in [&kicked, &banned, &quiet] {
        app.join_community(user, community_id).await;
    }
    let token = owner.access_token.as_str();
    let member_path = |user: &Session| format!("{base}/members/{}", user.user_id);

    // A plain member may not kick.
    let refused = app
        .send(
            Method::POST,
            &format!("{}/kick", member_path(&owner)),
            Some(&quiet.access_token),
            None,
        )
        .await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));

    // Kick, with a reason; the member can come back.
    let kick = app
        .send(
            Method::POST,
            &format!("{}/kick", member_path(&kicked)),
            Some(token),
            Some(json!({ "reason": "spam" })),
        )
        .await;
    assert_eq!(kick.status, 204, "{}", kick.body);
    let gone = app
        .send(Method::GET, &member_path(&kicked), Some(token), None)
        .await;
    assert_eq!((gone.status, gone.code()), (404, "not_found"));
    app.join_community(&kicked, community_id).await;
    // A kick without any body (no content type either) works too.
    let bare = app
        .http
        .post(app.url(&format!("{}/kick", member_path(&kicked))))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 204);
    app.join_community(&kicked, community_id).await;
    let not_json = app
        .http
        .post(app.url(&format!("{}/kick", member_path(&quiet))))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body("because")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415, "a body must be JSON");

    // Ban: removed, refused on rejoin, listed; unban lets them back.
    let ban_path = format!("{base}/bans/{}", banned.user_id);
    let ban = app
        .ok(
            Method::PUT,
            &ban_path,
            token,
            Some(json!({ "reason": "abuse" })),
        )
        .await;
    assert_eq!(ban["user_id"], banned.user_id.to_string());
    assert_eq!(ban["reason"], "abuse");
    assert_eq!(ban["banned_by"], owner.user_id.to_string());
    let rejoin = app
        .send(
            Method::POST,
            &format!("{base}/join"),
            Some(&banned.access_token),
            None,
        )
        .await;
    assert_eq!((rejoin.status, rejoin.code()), (403, "forbidden"));
    let bans = app
        .ok(Method::GET, &format!("{base}/bans"), token, None)
        .await;
    assert_eq!(bans["bans"].as_array().unwrap().len(), 1, "{bans}");
    assert_eq!(bans["bans"][0]["user_id"], banned.user_id.to_string());
    let community = app.ok(Method::GET, &base, token, None).await;
    assert_eq!(community["member_count"], 3, "owner, kicked, quiet");
    let unban = app.send(Method::DELETE, &ban_path, Some(token), None).await;
    assert_eq!(unban.status, 204, "{}", unban.body);
    assert_eq!(
        app.ok(Method::GET, &format!("{base}/bans"), token, None)
            .await["bans"],
        json!([])
    );
    app.join_community(&banned, community_id).await;
    // Banning a user who is not a member works, without a body.
    let outsider = app.register("mod_outsider").await;
    let pre_ban = app
        .send(
            Method::PUT,
            &format!("{base}/bans/{}", outsider.user_id),
            Some(token),
            None,
        )
        .await;
    assert_eq!(pre_ban.status, 200, "{}", pre_ban.body);
    assert_eq!(pre_ban.body["reason"], Value::Null);

    // Timeout: set (at most 28 days ahead), then lifted with null.
    let timeout_path = format!("{}/timeout", member_path(&quiet));
    let until = Utc::now() + Duration::hours(1);
    let timed_out = app
        .ok(
            Method::PUT,
            &timeout_path,
            token,
            Some(json!({ "until": until, "reason": "cool down" })),
        )
        .await;
    let stored: chrono::DateTime<Utc> =
        serde_json::from_value(timed_out["timed_out_until"].clone()).unwrap();
    assert!((stored - until).num_seconds().abs() <= 1, "{timed_out}");
    let too_long = app
        .send(
            Method::PUT,
            &timeout_path,
            Some(token),
            Some(json!({ "until": Utc::now() + Duration::days(29) })),
        )
        .await;
    assert_eq!(
        (too_long.status, too_long.code()),
        (400, "invalid_request"),
        "{}",
        too_long.body
    );
    let by_member = app
        .send(
            Method::PUT,
            &format!("{}/timeout", member_path(&kicked)),
            Some(&quiet.access_token),
            Some(json!({ "until": until })),
        )
        .await;
    assert_eq!((by_member.status, by_member.code()), (403, "forbidden"));
    let lifted = app
        .ok(
            Method::PUT,
            &timeout_path,
            token,
            Some(json!({ "until": null })),
        )
        .await;
    assert_eq!(lifted["timed_out_until"], Value::Null);

    // Warnings.
    let warnings_path = format!("{}/warnings", member_path(&quiet));
    let warned = app
        .send(
            Method::POST,
            &warnings_path,
            Some(token),
            Some(json!({ "reason": "off topic" })),
        )
        .await;
    assert_eq!(warned.status, 201, "{}", warned.body);
    assert_eq!(warned.body["reason"], "off topic");
    assert_eq!(warned.body["issued_by"], owner.user_id.to_string());
    assert_eq!(warned.body["user_id"], quiet.user_id.to_string());
    let listed = app.ok(Method::GET, &warnings_path, token, None).await;
    assert_eq!(listed["warnings"], json!([warned.body]));
    let by_member = app
        .send(
            Method::POST,
            &format!("{}/warnings", member_path(&kicked)),
            Some(&quiet.access_token),
            Some(json!({ "reason": "revenge" })),
        )
        .await;
    assert_eq!((by_member.status, by_member.code()), (403, "forbidden"));

    // The audit log records each action with actor, target and reason, newest first.
    let log = app
        .ok(Method::GET, &format!("{base}/audit-log"), token, None)
        .await;
    let entries = log["entries"].as_array().unwrap();
    for (action, target, reason) in [
        ("member_kicked", kicked.user_id, Some("spam")),
        ("member_kicked", kicked.user_id, None),
        ("member_banned", banned.user_id, Some("abuse")),
        ("member_unbanned", banned.user_id, None),
        ("member_banned", outsider.user_id, None),
        ("member_timed_out", quiet.user_id, Some("cool down")),
        ("timeout_lifted", quiet.user_id, None),
        ("member_warned", quiet.user_id, Some("off topic")),
    ] {
        let entry = entries
            .iter()
            .find(|e| {
                e["action"] == action
                    && e["target_id"] == target.to_string()
                    && e["reason"] == json!(reason)
            })
            .unwrap_or_else(|| panic!("no {action} entry for {target} ({reason:?}) in {log}"));
        assert_eq!(entry["actor_id"], owner.user_id.to_string(), "{entry}");
        assert_eq!(entry["community_id"], community_id.to_string());
    }
    let created: Vec<&str> = entries
        .iter()
        .map(|e| e["created_at"].as_str().unwrap())
        .collect();
    let parsed: Vec<chrono::DateTime<Utc>> = created.iter().map(|t| t.parse().unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let kicks = app
        .ok(
            Method::GET,
            &format!("{base}/audit-log?action=member_kicked"),
            token,
            None,
        )
        .await;
    let kicks = kicks["entries"].as_array().unwrap();
    assert!(!kicks.is_empty());
    assert!(kicks.iter().all(|e| e["action"] == "member_kicked"));
    let about_quiet = app
        .ok(
            Method::GET,
            &format!("{base}/audit-log?target_id={}&limit=2", quiet.user_id),
            token,
            None,
        )
        .await;
    let about_quiet = about_quiet["entries"].as_array().unwrap();
    assert_eq!(about_quiet.len(), 2);
    assert!(
        about_quiet
            .iter()
            .all(|e| e["target_id"] == quiet.user_id.to_string())
    );
    // Members without view_audit_log may not read it.
    let refused = app
        .send(
            Method::GET,
            &format!("{base}/audit-log"),
            Some(&quiet.access_token),
            None,
        )
        .await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
}
