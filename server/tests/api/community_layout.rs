//! The inside of a community through the gateway: groups (including their order), channels
//! (including their bounds), roles and permission overwrites.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn ids(list: &Value, field: &str) -> Vec<Uuid> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| uuid_of(&item[field]))
        .collect()
}

fn view_channel_ids(view: &Value) -> Vec<Uuid> {
    view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| uuid_of(&c["channel"]["channel_id"]))
        .collect()
}

#[tokio::test]
async fn groups_are_created_renamed_reordered_and_deleted() {
    let app = spawn_app().await;
    let owner = app.register("grp_owner").await;
    let token = owner.access_token.as_str();
    let community_id = app.create_community(&owner, "Groups", "public").await;
    let base = format!("/api/v1/communities/{community_id}");
    let initial = ids(
        &app.community_view(&owner, community_id).await["groups"],
        "group_id",
    );

    let created = app
        .send(
            Method::POST,
            &format!("{base}/groups"),
            Some(token),
            Some(json!({ "name": "Text" })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "Text");
    assert_eq!(created.body["community_id"], community_id.to_string());
    assert_eq!(created.body["visibility"], "public");
    let text = uuid_of(&created.body["group_id"]);
    let voice = app
        .create_group(&owner, community_id, "Voice", "public")
        .await;
    let archive = app
        .create_group(&owner, community_id, "Archive", "public")
        .await;

    let renamed = app
        .ok(
            Method::PATCH,
            &format!("{base}/groups/{archive}"),
            token,
            Some(json!({ "name": "Old stuff", "visibility": "private" })),
        )
        .await;
    assert_eq!(renamed["name"], "Old stuff");
    assert_eq!(renamed["visibility"], "private");
    assert_eq!(renamed["group_id"], archive.to_string());

    // Reversed order: every group exactly once.
    let mut order: Vec<Uuid> = initial
        .iter()
        .copied()
        .chain([text, voice, archive])
        .collect();
    order.reverse();
    let reordered = app
        .ok(
            Method::PUT,
            &format!("{base}/groups/order"),
            token,
            Some(json!({ "group_ids": order })),
        )
        .await;
    assert_eq!(ids(&reordered["groups"], "group_id"), order);
    let positions: Vec<i64> = reordered["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let view = app.community_view(&owner, community_id).await;
    assert_eq!(ids(&view["groups"], "group_id"), order);

    // An order that leaves a group out, repeats one or names a stranger is refused whole.
    for bad in [
        order[1..].to_vec(),
        [order.clone(), vec![order[0]]].concat(),
        [order[1..].to_vec(), vec![Uuid::new_v4()]].concat(),
    ] {
        let refused = app
            .send(
                Method::PUT,
                &format!("{base}/groups/order"),
                Some(token),
                Some(json!({ "group_ids": bad })),
            )
            .await;
        assert!(
            matches!(refused.status, 400 | 404),
            "{bad:?}: {} {}",
            refused.status,
            refused.body
        );
    }
    let view = app.community_view(&owner, community_id).await;
    assert_eq!(ids(&view["groups"], "group_id"), order, "order unchanged");

    // Deleting a group deletes its channels.
    let channel = app
        .create_channel(&owner, community_id, text, "general-2", json!({}))
        .await;
    assert!(view_channel_ids(&app.community_view(&owner, community_id).await).contains(&channel));
    let deleted = app
        .send(
            Method::DELETE,
            &format!("{base}/groups/{text}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let view = app.community_view(&owner, community_id).await;
    assert!(!ids(&view["groups"], "group_id").contains(&text));
    assert!(!view_channel_ids(&view).contains(&channel));
    let again = app
        .send(
            Method::PATCH,
            &format!("{base}/groups/{text}"),
            Some(token),
            Some(json!({ "name": "Back" })),
        )
        .await;
    assert_eq!((again.status, again.code()), (404, "not_found"));
}

#[tokio::test]
async fn channels_are_created_updated_moved_and_deleted_within_their_bounds() {
    let app = spawn_app().await;
    let owner = app.register("chan_owner").await;
    let token = owner.access_token.as_str();
    let community_id = app.create_community(&owner, "Channels", "public").await;
    let base = format!("/api/v1/communities/{community_id}");
    let group = app
        .create_group(&owner, community_id, "Main", "public")
        .await;
    let other = app
        .create_group(&owner, community_id, "Other", "public")
        .await;
    let app = &app;
    let create = |body: Value| {
        let mut full = json!({ "group_id": group, "kind": "text" });
        full.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let path = format!("{base}/channels");
        async move { app.send(Method::POST, &path, Some(token), Some(full)).await }
    };

    let created = create(json!({ "name": "chat", "topic": "Say hi" })).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let channel = &created.body;
    assert_eq!(channel["name"], "chat");
    assert_eq!(channel["topic"], "Say hi");
    assert_eq!(channel["kind"], "text");
    assert_eq!(channel["group_id"], group.to_string());
    assert_eq!(channel["community_id"], community_id.to_string());
    assert_eq!(channel["read_only"], false);
    assert_eq!(channel["archived"], false);
    assert_eq!(channel["slow_mode_secs"], 0);
    assert_eq!(channel["voice_cap"], Value::Null);
    let channel_id = uuid_of(&channel["channel_id"]);

    // Slow mode: 0 or 5 to 600 seconds.
    for (secs, ok) in [(0, true), (5, true), (600, true), (3, false), (601, false)] {
        let reply = create(json!({ "name": format!("slow-{secs}"), "slow_mode_secs": secs })).await;
        if ok {
            assert_eq!(reply.status, 201, "slow mode {secs}: {}", reply.body);
            assert_eq!(reply.body["slow_mode_secs"], secs);
        } else {
            assert_eq!(
                (reply.status, reply.code()),
                (400, "invalid_request"),
                "slow mode {secs}: {}",
                reply.body
            );
        }
    }
    // Voice channels: 1 to 25 participants, 25 when not given.
    let voice = create(json!({ "name": "talk", "kind": "voice" })).await;
    assert_eq!(voice.status, 201, "{}", voice.body);
    assert_eq!(voice.body["voice_cap"], 25);
    for (cap, ok) in [(1, true), (25, true), (26, false), (0, false)] {
        let reply =
            create(json!({ "name": format!("voice-{cap}"), "kind": "voice", "voice_cap": cap }))
                .await;
        if ok {
            assert_eq!(reply.status, 201, "voice cap {cap}: {}", reply.body);
            assert_eq!(reply.body["voice_cap"], cap);
        } else {
            assert_eq!(
                (reply.status, reply.code()),
                (400, "invalid_request"),
                "voice cap {cap}: {}",
                reply.body
            );
        }
    }

    let path = format!("{base}/channels/{channel_id}");
    let updated = app
        .ok(
            Method::PATCH,
            &path,
            token,
            Some(json!({
                "name": "lounge",
                "topic": "Relax",
                "read_only": true,
                "slow_mode_secs": 30,
            })),
        )
        .await;
    assert_eq!(updated["name"], "lounge");
    assert_eq!(updated["topic"], "Relax");
    assert_eq!(updated["read_only"], true);
    assert_eq!(updated["slow_mode_secs"], 30);
    for secs in [3, 601] {
        let refused = app
            .send(
                Method::PATCH,
                &path,
                Some(token),
                Some(json!({ "slow_mode_secs": secs, "name": "half-written" })),
            )
            .await;
        assert_eq!(
            (refused.status, refused.code()),
            (400, "invalid_request"),
            "{}",
            refused.body
        );
    }
    let archived = app
        .ok(
            Method::PATCH,
            &path,
            token,
            Some(json!({ "archived": true, "group_id": other })),
        )
        .await;
    assert_eq!(archived["archived"], true);
    assert_eq!(archived["group_id"], other.to_string());
    assert_eq!(
        archived["name"], "lounge",
        "refused updates changed nothing"
    );
    assert_eq!(archived["slow_mode_secs"], 30);

    let deleted = app.send(Method::DELETE, &path, Some(token), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert!(
        !view_channel_ids(&app.community_view(&owner, community_id).await).contains(&channel_id)
    );
    let again = app.send(Method::DELETE, &path, Some(token), None).await;
    assert_eq!((again.status, again.code()), (404, "not_found"));
}

#[tokio::test]
async fn roles_are_listed_created_updated_and_deleted() {
    let app = spawn_app().await;
    let owner = app.register("role_owner").await;
    let token = owner.access_token.as_str();
    let community_id = app.create_community(&owner, "Roles", "public").await;
    let base = format!("/api/v1/communities/{community_id}/roles");

    let list = app.ok(Method::GET, &base, token, None).await;
    let roles = list["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "{list}");
    assert_eq!(roles[0]["role_id"], community_id.to_string());
    assert_eq!(roles[0]["is_everyone"], true);
    assert_eq!(roles[0]["position"], 0);

    let helper = app
        .send(
            Method::POST,
            &base,
            Some(token),
            Some(json!({ "name": "Helper" })),
        )
        .await;
    assert_eq!(helper.status, 201, "{}", helper.body);
    assert_eq!(helper.body["position"], 1, "placed just above @everyone");
    assert_eq!(helper.body["is_everyone"], false);
    let moderator = app
        .send(
            Method::POST,
            &base,
            Some(token),
            Some(json!({
                "name": "Moderator",
                "color": 0x00ff00,
                "permissions": ["kick_members", "ban_members"],
                "position": 2,
            })),
        )
        .await;
    assert_eq!(moderator.status, 201, "{}", moderator.body);
    assert_eq!(moderator.body["color"], 0x00ff00);
    assert_eq!(moderator.body["position"], 2);
    assert_eq!(
        moderator.body["permissions"],
        json!(["kick_members", "ban_members"])
    );
    let moderator_id = uuid_of(&moderator.body["role_id"]);
    let helper_id = uuid_of(&helper.body["role_id"]);

    let updated = app
        .ok(
            Method::PATCH,
            &format!("{base}/{moderator_id}"),
            token,
            Some(json!({ "name": "Mod", "color": 0x123456, "permissions": ["timeout_members"] })),
        )
        .await;
    assert_eq!(updated["name"], "Mod");
    assert_eq!(updated["color"], 0x123456);
    assert_eq!(updated["permissions"], json!(["timeout_members"]));
    assert_eq!(updated["position"], 2);

    // @everyone: its permissions change, its name does not.
    let everyone = app
        .ok(
            Method::PATCH,
            &format!("{base}/{community_id}"),
            token,
            Some(json!({ "permissions": ["view_channel"] })),
        )
        .await;
    assert_eq!(everyone["permissions"], json!(["view_channel"]));
    let renamed = app
        .send(
            Method::PATCH,
            &format!("{base}/{community_id}"),
            Some(token),
            Some(json!({ "name": "everybody" })),
        )
        .await;
    assert!(
        (400..500).contains(&renamed.status),
        "{} {}",
        renamed.status,
        renamed.body
    );
    let impostor = app
        .send(
            Method::POST,
            &base,
            Some(token),
            Some(json!({ "name": "@everyone" })),
        )
        .await;
    assert_eq!((impostor.status, impostor.code()), (400, "invalid_request"));

    let deleted = app
        .send(
            Method::DELETE,
            &format!("{base}/{helper_id}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let everyone_deleted = app
        .send(
            Method::DELETE,
            &format!("{base}/{community_id}"),
            Some(token),
            None,
        )
        .await;
    assert!(
        (400..500).contains(&everyone_deleted.status),
        "{} {}",
        everyone_deleted.status,
        everyone_deleted.body
    );
    let list = app.ok(Method::GET, &base, token, None).await;
    let mut names: Vec<&str> = list["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["@everyone", "Mod"]);
}

#[tokio::test]
async fn overwrites_are_set_replaced_listed_and_removed_on_groups_and_channels() {
    let app = spawn_app().await;
    let owner = app.register("ow_owner").await;
    let member = app.register("ow_member").await;
    let token = owner.access_token.as_str();
    let community_id = app.create_community(&owner, "Overwrites", "public").await;
    app.join_community(&member, community_id).await;
    let base = format!("/api/v1/communities/{community_id}");
    let group = app.create_group(&owner, community_id, "G", "public").await;
    let channel = app
        .create_channel(&owner, community_id, group, "c", json!({}))
        .await;
    let role = app
        .ok(
            Method::POST,
            &format!("{base}/roles"),
            token,
            Some(json!({ "name": "R" })),
        )
        .await;
    let role_id = uuid_of(&role["role_id"]);

    let on_group = format!("{base}/groups/{group}/overwrites");
    let set = app
        .ok(
            Method::PUT,
            &format!("{on_group}/role/{role_id}"),
            token,
            Some(json!({ "allow": ["send_messages"], "deny": ["view_channel"] })),
        )
        .await;
    assert_eq!(set["community_id"], community_id.to_string());
    assert_eq!(set["target"], json!({ "kind": "group", "id": group }));
    assert_eq!(set["subject"], json!({ "kind": "role", "id": role_id }));
    assert_eq!(set["allow"], json!(["send_messages"]));
    assert_eq!(set["deny"], json!(["view_channel"]));
    // Setting again replaces.
    app.ok(
        Method::PUT,
        &format!("{on_group}/role/{role_id}"),
        token,
        Some(json!({ "allow": [], "deny": ["attach_files"] })),
    )
    .await;
    let listed = app.ok(Method::GET, &on_group, token, None).await;
    let overwrites = listed["overwrites"].as_array().unwrap();
    assert_eq!(overwrites.len(), 1, "{listed}");
    assert_eq!(overwrites[0]["allow"], json!([]));
    assert_eq!(overwrites[0]["deny"], json!(["attach_files"]));

    let on_channel = format!("{base}/channels/{channel}/overwrites");
    let for_member = app
        .ok(
            Method::PUT,
            &format!("{on_channel}/member/{}", member.user_id),
            token,
            Some(json!({ "allow": ["attach_files"] })),
        )
        .await;
    assert_eq!(
        for_member["subject"],
        json!({ "kind": "member", "id": member.user_id })
    );
    assert_eq!(
        for_member["target"],
        json!({ "kind": "channel", "id": channel })
    );
    assert_eq!(for_member["deny"], json!([]), "absent lists are empty");
    // @everyone's overwrite uses the community id as role id.
    app.ok(
        Method::PUT,
        &format!("{on_channel}/role/{community_id}"),
        token,
        Some(json!({ "deny": ["add_reactions"] })),
    )
    .await;
    let listed = app.ok(Method::GET, &on_channel, token, None).await;
    assert_eq!(
        listed["overwrites"].as_array().unwrap().len(),
        2,
        "{listed}"
    );

    let removed = app
        .send(
            Method::DELETE,
            &format!("{on_channel}/member/{}", member.user_id),
            Some(token),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let listed = app.ok(Method::GET, &on_channel, token, None).await;
    assert_eq!(
        listed["overwrites"],
        json!([{
            "community_id": community_id,
            "target": { "kind": "channel", "id": channel },
            "subject": { "kind": "role", "id": community_id },
            "allow": [],
            "deny": ["add_reactions"],
        }])
    );
    let again = app
        .send(
            Method::DELETE,
            &format!("{on_channel}/member/{}", member.user_id),
            Some(token),
            None,
        )
        .await;
    assert_eq!((again.status, again.code()), (404, "not_found"));
    let removed = app
        .send(
            Method::DELETE,
            &format!("{on_group}/role/{role_id}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    assert_eq!(
        app.ok(Method::GET, &on_group, token, None).await["overwrites"],
        json!([])
    );

    // The subject kind is `role` or `member`, nothing else.
    for path in [
        format!("{on_group}/everyone/{role_id}"),
        format!("{on_channel}/Role/{role_id}"),
    ] {
        let bogus = app
            .send(
                Method::PUT,
                &path,
                Some(token),
                Some(json!({ "allow": ["view_channel"] })),
            )
            .await;
        assert_eq!(
            (bogus.status, bogus.code()),
            (400, "invalid_request"),
            "{path}"
        );
        let bogus = app.send(Method::DELETE, &path, Some(token), None).await;
        assert_eq!(
            (bogus.status, bogus.code()),
            (400, "invalid_request"),
            "{path}"
        );
    }
}
