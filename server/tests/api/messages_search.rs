//! Full-text search: hits, filters, paging, and only ever channels the searcher can see now.

use crate::{helpers::*, messages_support::*};
use reqwest::Method;
use serde_json::{Value, json};

async fn search(app: &TestApp, user: &Session, query: &str) -> Value {
    app.ok(
        Method::GET,
        &format!("/api/v1/search/messages?{query}"),
        &user.access_token,
        None,
    )
    .await
}

fn found(page: &Value) -> Vec<String> {
    bodies(page["messages"].as_array().unwrap())
}

#[tokio::test]
async fn search_finds_words_in_visible_channels_and_narrows_by_filters() {
    let app = spawn_app().await;
    let room = Room::open(&app, "findowner", &["finder", "findauthor"]).await;
    let (owner, finder, author) = (&room.owner, &room.members[0], &room.members[1]);
    let general = room.channel_id;
    let second = room.add_channel(&app, "second", json!({})).await;

    say(&app, owner, general, "The quick brown fox").await;
    let dog = say(&app, author, general, "lazy dog sleeps all day").await;
    say(&app, author, second, "Quick lunch at noon?").await;
    let upload = stored_upload(&app, owner).await;
    let report = post_message(
        &app,
        owner,
        general,
        json!({ "nonce": "rep", "body": "fox report attached", "attachment_ids": [upload] }),
    )
    .await;
    assert_eq!(report.status, 201, "{}", report.body);
    let gone = say(&app, author, general, "quick and deleted").await;
    app.ok(
        Method::DELETE,
        &message_path(general, &gone["message_id"]),
        &author.access_token,
        None,
    )
    .await;
    // Another community the finder belongs to.
    let elsewhere = Room::open(&app, "findother", &[]).await;
    app.join_community(finder, elsewhere.community_id).await;
    say(
        &app,
        &elsewhere.owner,
        elsewhere.channel_id,
        "quick elsewhere",
    )
    .await;

    // Words, case-insensitively, newest first; deleted messages never.
    let quick = search(&app, finder, "query=quick").await;
    assert_eq!(
        found(&quick),
        [
            "quick elsewhere",
            "Quick lunch at noon?",
            "The quick brown fox"
        ]
    );
    assert_eq!(
        found(&search(&app, finder, "query=%22brown%20fox%22").await),
        ["The quick brown fox"]
    );
    assert_eq!(
        found(&search(&app, finder, "query=fox%20-brown").await),
        ["fox report attached"]
    );
    assert!(found(&search(&app, finder, "query=deleted").await).is_empty());

    // Filters narrow it.
    let by_author = search(
        &app,
        finder,
        &format!("query=quick&author_id={}", author.user_id),
    )
    .await;
    assert_eq!(found(&by_author), ["Quick lunch at noon?"]);
    let in_channel = search(&app, finder, &format!("query=quick&channel_id={general}")).await;
    assert_eq!(found(&in_channel), ["The quick brown fox"]);
    let in_community = search(
        &app,
        finder,
        &format!("query=quick&community_id={}", room.community_id),
    )
    .await;
    assert_eq!(
        found(&in_community),
        ["Quick lunch at noon?", "The quick brown fox"]
    );
    let with_file = search(&app, finder, "query=fox&has_attachment=true").await;
    assert_eq!(found(&with_file), ["fox report attached"]);
    assert_eq!(
        with_file["messages"][0]["attachments"][0]["attachment_id"],
        json!(upload)
    );
    let without_file = search(&app, finder, "query=fox&has_attachment=false").await;
    assert_eq!(found(&without_file), ["The quick brown fox"]);
    let sent_at = dog["created_at"].as_str().unwrap();
    let after = search(
        &app,
        finder,
        &format!("community_id={}&after={sent_at}", room.community_id),
    )
    .await;
    assert_eq!(
        found(&after),
        ["fox report attached", "Quick lunch at noon?"]
    );
    let before = search(
        &app,
        finder,
        &format!("community_id={}&before={sent_at}", room.community_id),
    )
    .await;
    assert_eq!(found(&before), ["The quick brown fox"]);

    // Paging by before_id.
    let first = search(&app, finder, "query=quick&limit=2").await;
    assert_eq!(found(&first).len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = search(
        &app,
        finder,
        &format!("query=quick&limit=2&before_id={cursor}"),
    )
    .await;
    assert_eq!(found(&rest), ["The quick brown fox"]);
    assert!(rest["next_cursor"].is_null());

    // A channel hidden from the finder stops answering at once; its members still find it.
    room.hide_channel(&app, second).await;
    assert!(found(&search(&app, finder, "query=lunch").await).is_empty());
    assert!(
        found(&search(&app, finder, &format!("query=lunch&channel_id={second}")).await).is_empty()
    );
    assert_eq!(
        found(&search(&app, owner, "query=lunch").await),
        ["Quick lunch at noon?"]
    );
    // Leaving a community takes its channels out too.
    app.ok(
        Method::POST,
        &format!("/api/v1/communities/{}/leave", elsewhere.community_id),
        &finder.access_token,
        None,
    )
    .await;
    assert!(found(&search(&app, finder, "query=elsewhere").await).is_empty());
    // A stranger finds nothing at all.
    let stranger = app.register("findstranger").await;
    assert!(found(&search(&app, &stranger, "query=quick").await).is_empty());
}
