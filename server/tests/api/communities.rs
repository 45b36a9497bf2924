//! Communities through the gateway: create, read, update, views, discovery, ownership transfer
//! and deletion.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_community_is_created_read_updated_and_deleted() {
    let app = spawn_app().await;
    let owner = app.register("comm_owner").await;
    let token = owner.access_token.as_str();

    let created = app
        .send(
            Method::POST,
            "/api/v1/communities",
            Some(token),
            Some(json!({ "name": "Rustaceans", "description": "All things Rust", "visibility": "public" })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "Rustaceans");
    assert_eq!(created.body["description"], "All things Rust");
    assert_eq!(created.body["visibility"], "public");
    assert_eq!(created.body["owner_id"], owner.user_id.to_string());
    assert_eq!(created.body["member_count"], 1);
    let community_id = uuid_of(&created.body["community_id"]);
    let path = format!("/api/v1/communities/{community_id}");

    let read = app.ok(Method::GET, &path, token, None).await;
    assert_eq!(read, created.body);

    let updated = app
        .ok(
            Method::PATCH,
            &path,
            token,
            Some(json!({
                "name": "Rust Club",
                "welcome_message": "Be kind",
                "icon_ref": "icon-1",
                "visibility": "private",
            })),
        )
        .await;
    assert_eq!(updated["name"], "Rust Club");
    assert_eq!(
        updated["description"], "All things Rust",
        "absent fields stay"
    );
    assert_eq!(updated["welcome_message"], "Be kind");
    assert_eq!(updated["icon_ref"], "icon-1");
    assert_eq!(updated["visibility"], "private");
    assert_eq!(app.ok(Method::GET, &path, token, None).await, updated);

    // Empty strings clear the optional texts.
    let cleared = app
        .ok(
            Method::PATCH,
            &path,
            token,
            Some(json!({ "welcome_message": "", "icon_ref": "" })),
        )
        .await;
    assert_eq!(cleared["welcome_message"], Value::Null);
    assert_eq!(cleared["icon_ref"], Value::Null);

    // The owner's view: the community, themselves, every permission, @everyone.
    let view = app.community_view(&owner, community_id).await;
    assert_eq!(view["community"]["community_id"], community_id.to_string());
    assert_eq!(view["me"]["user_id"], owner.user_id.to_string());
    let permissions = view["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("manage_community")), "{view}");
    let everyone = view["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["is_everyone"] == true)
        .expect("an @everyone role");
    assert_eq!(everyone["role_id"], community_id.to_string());
    assert_eq!(everyone["position"], 0);

    let mine = app
        .ok(Method::GET, "/api/v1/users/@me/communities", token, None)
        .await;
    let views = mine["views"].as_array().unwrap();
    assert_eq!(views.len(), 1, "{mine}");
    assert_eq!(views[0]["community"]["name"], "Rust Club");

    let deleted = app.send(Method::DELETE, &path, Some(token), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = app.send(Method::GET, &path, Some(token), None).await;
    assert_eq!((gone.status, gone.code()), (404, "not_found"));
    let view_gone = app
        .send(Method::GET, &format!("{path}/view"), Some(token), None)
        .await;
    assert_eq!(view_gone.status, 404, "{}", view_gone.body);
    let mine = app
        .ok(Method::GET, "/api/v1/users/@me/communities", token, None)
        .await;
    assert_eq!(mine["views"], json!([]));
}

#[tokio::test]
async fn only_the_owner_deletes_and_ownership_moves_to_a_member() {
    let app = spawn_app().await;
    let owner = app.register("xfer_owner").await;
    let heir = app.register("xfer_heir").await;
    let stranger = app.register("xfer_stranger").await;
    let community_id = app.create_community(&owner, "Heritage", "public").await;
    let path = format!("/api/v1/communities/{community_id}");
    app.join_community(&heir, community_id).await;

    // Members without rights may neither update nor delete.
    let patch = app
        .send(
            Method::PATCH,
            &path,
            Some(&heir.access_token),
            Some(json!({ "name": "Mine now" })),
        )
        .await;
    assert_eq!((patch.status, patch.code()), (403, "forbidden"));
    let delete = app
        .send(Method::DELETE, &path, Some(&heir.access_token), None)
        .await;
    assert_eq!((delete.status, delete.code()), (403, "forbidden"));

    // Ownership goes only to a member, and only from the owner.
    let to_stranger = app
        .send(
            Method::POST,
            &format!("{path}/transfer"),
            Some(&owner.access_token),
            Some(json!({ "new_owner_id": stranger.user_id })),
        )
        .await;
    assert!(
        (400..500).contains(&to_stranger.status),
        "{} {}",
        to_stranger.status,
        to_stranger.body
    );
    let by_heir = app
        .send(
            Method::POST,
            &format!("{path}/transfer"),
            Some(&heir.access_token),
            Some(json!({ "new_owner_id": heir.user_id })),
        )
        .await;
    assert_eq!((by_heir.status, by_heir.code()), (403, "forbidden"));
    let transferred = app
        .ok(
            Method::POST,
            &format!("{path}/transfer"),
            &owner.access_token,
            Some(json!({ "new_owner_id": heir.user_id })),
        )
        .await;
    assert_eq!(transferred["owner_id"], heir.user_id.to_string());

    let old_owner = app
        .send(Method::DELETE, &path, Some(&owner.access_token), None)
        .await;
    assert_eq!((old_owner.status, old_owner.code()), (403, "forbidden"));
    // The former owner is an ordinary member now and may leave; the new owner may not.
    let owner_leaves = app
        .send(
            Method::POST,
            &format!("{path}/leave"),
            Some(&heir.access_token),
            None,
        )
        .await;
    assert!(
        (400..500).contains(&owner_leaves.status),
        "the owner left: {} {}",
        owner_leaves.status,
        owner_leaves.body
    );
    let deleted = app
        .send(Method::DELETE, &path, Some(&heir.access_token), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
}

#[tokio::test]
async fn discovery_lists_public_communities_but_not_private_ones() {
    let app = spawn_app().await;
    let owner = app.register("disc_owner").await;
    let seeker = app.register("disc_seeker").await;
    for name in ["Alpha One", "Alpha Two", "Alpha Three"] {
        app.create_community(&owner, name, "public").await;
    }
    let secret = app
        .create_community(&owner, "Alpha Secret", "private")
        .await;
    app.create_community(&owner, "Beta", "public").await;
    let token = seeker.access_token.as_str();

    let found = app
        .ok(
            Method::GET,
            "/api/v1/communities/discover?query=alpha",
            token,
            None,
        )
        .await;
    let mut found_names = names(&found["communities"]);
    found_names.sort_unstable();
    assert_eq!(found_names, ["Alpha One", "Alpha Three", "Alpha Two"]);

    let everything = app
        .ok(Method::GET, "/api/v1/communities/discover", token, None)
        .await;
    let all_names = names(&everything["communities"]);
    assert_eq!(all_names.len(), 4, "{everything}");
    assert!(!all_names.contains(&"Alpha Secret"));

    // Pages of one, following the cursor, list each public community once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let path = match &after {
            Some(cursor) => format!("/api/v1/communities/discover?limit=1&after={cursor}"),
            None => "/api/v1/communities/discover?limit=1".to_string(),
        };
        let page = app.ok(Method::GET, &path, token, None).await;
        let page_names = names(&page["communities"]);
        assert!(page_names.len() <= 1, "{page}");
        seen.extend(page_names.into_iter().map(str::to_string));
        match page["next_cursor"].as_str() {
            Some(cursor) => after = Some(cursor.to_string()),
            None => break,
        }
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 4, "{seen:?}");

    // A private community is invisible to outsiders, and cannot be joined directly.
    let peek = app
        .send(
            Method::GET,
            &format!("/api/v1/communities/{secret}"),
            Some(token),
            None,
        )
        .await;
    assert!(
        matches!(peek.status, 403 | 404),
        "{} {}",
        peek.status,
        peek.body
    );
    let join = app
        .send(
            Method::POST,
            &format!("/api/v1/communities/{secret}/join"),
            Some(token),
            None,
        )
        .await;
    assert!(
        matches!(join.status, 403 | 404),
        "{} {}",
        join.status,
        join.body
    );
}

#[tokio::test]
async fn joining_and_leaving_a_public_community_changes_the_member_count() {
    let app = spawn_app().await;
    let owner = app.register("jl_owner").await;
    let visitor = app.register("jl_visitor").await;
    let community_id = app.create_community(&owner, "Open House", "public").await;
    let path = format!("/api/v1/communities/{community_id}");

    let view = app.join_community(&visitor, community_id).await;
    assert_eq!(view["me"]["user_id"], visitor.user_id.to_string());
    assert_eq!(view["community"]["member_count"], 2);
    let mine = app
        .ok(
            Method::GET,
            "/api/v1/users/@me/communities",
            &visitor.access_token,
            None,
        )
        .await;
    assert_eq!(mine["views"].as_array().unwrap().len(), 1);

    let left = app
        .send(
            Method::POST,
            &format!("{path}/leave"),
            Some(&visitor.access_token),
            None,
        )
        .await;
    assert_eq!(left.status, 204, "{}", left.body);
    let community = app.ok(Method::GET, &path, &owner.access_token, None).await;
    assert_eq!(community["member_count"], 1);
    let view = app
        .send(
            Method::GET,
            &format!("{path}/view"),
            Some(&visitor.access_token),
            None,
        )
        .await;
    assert!(
        matches!(view.status, 403 | 404),
        "a former member still has a view: {} {}",
        view.status,
        view.body
    );
    let again = app
        .send(
            Method::POST,
            &format!("{path}/leave"),
            Some(&visitor.access_token),
            None,
        )
        .await;
    assert!(
        (400..500).contains(&again.status),
        "{} {}",
        again.status,
        again.body
    );
}
