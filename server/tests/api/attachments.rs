//! Attachments end to end: uploads streamed into the object store (a temporary directory per
//! test), typed from their bytes, size-limited, downloadable with ranges by those who may see
//! them, and swept when no message uses them.

use crate::helpers::*;
use rand::{RngCore, SeedableRng, rngs::StdRng};
use reqwest::{Method, header::HeaderMap};
use serde_json::Value;
use std::{path::PathBuf, time::Duration};

/// A response with its raw bytes.
struct Download {
    status: u16,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

/// Uploads `bytes` as `token`'s file, with the given (untrusted) content type.
async fn upload(
    app: &TestApp,
    token: &str,
    filename: Option<&str>,
    content_type: &str,
    bytes: Vec<u8>,
) -> Reply {
    let mut request = app
        .http
        .post(app.url("/api/v1/attachments"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes);
    if let Some(name) = filename {
        request = request.query(&[("filename", name)]);
    }
    into_reply(request.send().await.unwrap()).await
}

async fn into_reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

async fn download(app: &TestApp, token: &str, id: &str, headers: &[(&str, &str)]) -> Download {
    let mut request = app
        .http
        .get(app.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    Download {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.unwrap().to_vec(),
    }
}

fn id_of(reply: &Reply) -> String {
    reply.body["attachment_id"].as_str().unwrap().to_string()
}

fn store_dir(app: &TestApp) -> PathBuf {
    PathBuf::from(&app.env.config.attachments.store)
}

/// Every file (not directory) under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    // Seeded, so the bytes (and what they are detected as) are the same on every run.
    StdRng::seed_from_u64(7).fill_bytes(&mut bytes);
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid RGB PNG of `width` x `height` (uncompressed deflate blocks keep it simple).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // no filter
        for x in 0..width {
            raw.extend_from_slice(&[(x * 80) as u8, (y * 120) as u8, 200]);
        }
    }
    let mut zlib = vec![0x78, 0x01, 0x01];
    let len = raw.len() as u16;
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &header);
    chunk(b"IDAT", &zlib);
    chunk(b"IEND", &[]);
    png
}

#[tokio::test]
async fn an_image_and_a_large_binary_round_trip() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let image = png(3, 2);

    let uploaded = upload(
        &app,
        &alice.access_token,
        Some("cat.png"),
        "image/png",
        image.clone(),
    )
    .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert_eq!(uploaded.body["filename"], "cat.png");
    assert_eq!(uploaded.body["content_type"], "image/png");
    assert_eq!(uploaded.body["size_bytes"], image.len());
    assert_eq!(uploaded.body["width"], 3);
    assert_eq!(uploaded.body["height"], 2);
    let id = id_of(&uploaded);

    let got = download(&app, &alice.access_token, &id, &[]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, image);
    assert_eq!(got.header("content-type"), "image/png");
    assert_eq!(got.header("content-length"), image.len().to_string());
    assert_eq!(got.header("x-content-type-options"), "nosniff");
    assert_eq!(got.header("accept-ranges"), "bytes");
    assert_eq!(
        got.header("content-disposition"),
        "inline; filename=\"cat.png\"; filename*=UTF-8''cat.png"
    );
    let meta = app
        .get(
            &format!("/api/v1/attachments/{id}/meta"),
            &alice.access_token,
        )
        .await;
    assert_eq!(meta.status, 200);
    assert_eq!(meta.body, uploaded.body);

    // Larger than the REST body limit (1 MiB) and than one multipart part.
    let binary = random_bytes(3 * 1024 * 1024);
    let uploaded = upload(
        &app,
        &alice.access_token,
        Some("data.bin"),
        "application/octet-stream",
        binary.clone(),
    )
    .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert_eq!(uploaded.body["content_type"], "application/octet-stream");
    assert_eq!(uploaded.body["width"], Value::Null);
    let got = download(&app, &alice.access_token, &id_of(&uploaded), &[]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes.len(), binary.len());
    assert!(got.bytes == binary, "downloaded bytes differ");
    assert!(
        got.header("content-disposition")
            .starts_with("attachment; filename=\"data.bin\""),
        "{}",
        got.header("content-disposition")
    );
    // The object's name is the server's, not the client's.
    let files = files_under(&store_dir(&app));
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| !f.to_string_lossy().contains(".png")));
}

#[tokio::test]
async fn byte_ranges_are_served_and_unsatisfiable_ones_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let data = random_bytes(3 * 1024 * 1024);
    let size = data.len();
    let uploaded = upload(&app, &alice.access_token, None, "", data.clone()).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let id = id_of(&uploaded);

    let cases = [
        ("bytes=100-199", 100..200),
        ("bytes=3000000-", 3_000_000..size),
        ("bytes=-10", size - 10..size),
        ("bytes=0-0", 0..1),
        ("bytes=3145000-9999999", 3_145_000..size),
    ];
    for (range, expected) in cases {
        let got = download(&app, &alice.access_token, &id, &[("range", range)]).await;
        assert_eq!(got.status, 206, "{range}");
        assert_eq!(got.bytes, data[expected.clone()], "{range}");
        assert_eq!(
            got.header("content-range"),
            format!("bytes {}-{}/{size}", expected.start, expected.end - 1),
            "{range}"
        );
        assert_eq!(got.header("content-length"), expected.len().to_string());
    }

    for range in [format!("bytes={size}-"), "bytes=-0".to_string()] {
        let got = download(&app, &alice.access_token, &id, &[("range", &range)]).await;
        assert_eq!(got.status, 416, "{range}");
        assert_eq!(got.header("content-range"), format!("bytes */{size}"));
    }
    // Several ranges, or a stale If-Range, get the whole file.
    let whole = download(
        &app,
        &alice.access_token,
        &id,
        &[("range", "bytes=0-1,5-6")],
    )
    .await;
    assert_eq!((whole.status, whole.bytes.len()), (200, size));
    let stale = download(
        &app,
        &alice.access_token,
        &id,
        &[("range", "bytes=0-1"), ("if-range", "\"other\"")],
    )
    .await;
    assert_eq!((stale.status, stale.bytes.len()), (200, size));
    let etag = whole.header("etag").to_string();
    let fresh = download(
        &app,
        &alice.access_token,
        &id,
        &[("range", "bytes=0-1"), ("if-range", &etag)],
    )
    .await;
    assert_eq!((fresh.status, fresh.bytes.len()), (206, 2));
}

#[tokio::test]
async fn files_past_the_limit_get_413_and_leave_nothing_stored() {
    const LIMIT: usize = 64 * 1024;
    let app = spawn_app_with(|config| config.attachments.max_bytes = LIMIT as u64).await;
    let alice = app.register("alice").await;

    // Refused from Content-Length, before any byte is stored.
    let refused = upload(
        &app,
        &alice.access_token,
        Some("big.bin"),
        "application/octet-stream",
        random_bytes(LIMIT + 1),
    )
    .await;
    assert_eq!(refused.status, 413, "{}", refused.body);
    assert_eq!(refused.code(), "payload_too_large");

    // Without a Content-Length, the gateway counts while it streams and aborts the upload.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(vec![1; 40 * 1024]), Ok(vec![2; 40 * 1024])];
    let response = app
        .http
        .post(app.url("/api/v1/attachments"))
        .bearer_auth(&alice.access_token)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    let streamed = into_reply(response).await;
    assert_eq!(streamed.status, 413, "{}", streamed.body);
    assert_eq!(streamed.code(), "payload_too_large");

    assert_eq!(files_under(&store_dir(&app)), Vec::<PathBuf>::new());

    // Exactly the limit is fine.
    let fits = upload(&app, &alice.access_token, None, "", random_bytes(LIMIT)).await;
    assert_eq!(fits.status, 201, "{}", fits.body);
    assert_eq!(files_under(&store_dir(&app)).len(), 1);
}

#[tokio::test]
async fn a_spoofed_content_type_is_corrected() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let image = png(4, 4);
    let uploaded = upload(
        &app,
        &alice.access_token,
        Some("evil.html"),
        "text/html",
        image.clone(),
    )
    .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert_eq!(uploaded.body["content_type"], "image/png");
    assert_eq!(uploaded.body["filename"], "evil.html");
    let got = download(&app, &alice.access_token, &id_of(&uploaded), &[]).await;
    assert_eq!(got.header("content-type"), "image/png");
    assert_eq!(got.header("x-content-type-options"), "nosniff");
    assert_eq!(got.bytes, image);

    // Real HTML is never shown in place, and runs nothing if opened.
    let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
    let uploaded = upload(
        &app,
        &alice.access_token,
        Some("page.png"),
        "image/png",
        html,
    )
    .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert_ne!(uploaded.body["content_type"], "image/png");
    let got = download(&app, &alice.access_token, &id_of(&uploaded), &[]).await;
    assert!(
        got.header("content-disposition").starts_with("attachment;"),
        "{}",
        got.header("content-disposition")
    );
    assert!(got.header("content-security-policy").contains("sandbox"));

    // Plain text is recognised as such.
    let text = "héllo, world\n".as_bytes().to_vec();
    let uploaded = upload(&app, &alice.access_token, Some("a.txt"), "image/png", text).await;
    assert_eq!(uploaded.body["content_type"], "text/plain");
    let got = download(&app, &alice.access_token, &id_of(&uploaded), &[]).await;
    assert_eq!(got.header("content-type"), "text/plain; charset=utf-8");
}

#[tokio::test]
async fn an_unlinked_upload_is_its_uploaders_alone() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let uploaded = upload(&app, &alice.access_token, None, "", png(1, 1)).await;
    let id = id_of(&uploaded);

    let got = download(&app, &bob.access_token, &id, &[]).await;
    assert_eq!(got.status, 404);
    assert_eq!(got.json()["code"], "not_found");
    let meta = app
        .get(&format!("/api/v1/attachments/{id}/meta"), &bob.access_token)
        .await;
    assert_eq!((meta.status, meta.code()), (404, "not_found"));
    // An unknown id looks the same.
    let unknown = download(
        &app,
        &bob.access_token,
        &uuid::Uuid::now_v7().to_string(),
        &[],
    )
    .await;
    assert_eq!(unknown.status, 404);

    let anonymous = app
        .send(
            Method::GET,
            &format!("/api/v1/attachments/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(anonymous.status, 401);
    let response = app
        .http
        .post(app.url("/api/v1/attachments"))
        .body(png(1, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn bad_upload_and_download_input_gets_clean_errors() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let unnamed = upload(&app, &alice.access_token, None, "", b"x".to_vec()).await;
    assert_eq!(unnamed.status, 201, "{}", unnamed.body);
    assert_eq!(unnamed.body["filename"], "file");
    let pathy = upload(
        &app,
        &alice.access_token,
        Some("../../etc/\"passwd\"\r\n"),
        "",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(pathy.body["filename"], "passwd");

    let empty = upload(&app, &alice.access_token, Some("e.txt"), "", Vec::new()).await;
    assert_eq!((empty.status, empty.code()), (400, "invalid_request"));

    let bad_id = app
        .get("/api/v1/attachments/not-a-uuid", &alice.access_token)
        .await;
    assert_eq!((bad_id.status, bad_id.code()), (400, "invalid_request"));
    let bad_meta = app
        .get("/api/v1/attachments/123/meta", &alice.access_token)
        .await;
    assert_eq!((bad_meta.status, bad_meta.code()), (400, "invalid_request"));
}

#[tokio::test]
async fn unlinked_uploads_are_swept_after_the_grace_period() {
    let app = spawn_app_with(|config| {
        config.attachments.orphan_grace_secs = 1;
        config.attachments.sweep_interval_secs = 1;
    })
    .await;
    let alice = app.register("alice").await;
    let uploaded = upload(&app, &alice.access_token, None, "", png(2, 2)).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let id = id_of(&uploaded);
    assert_eq!(files_under(&store_dir(&app)).len(), 1);

    let swept = eventually(Duration::from_secs(10), || async {
        let meta = app
            .get(
                &format!("/api/v1/attachments/{id}/meta"),
                &alice.access_token,
            )
            .await;
        meta.status == 404 && files_under(&store_dir(&app)).is_empty()
    })
    .await;
    assert!(swept, "the orphan is still there");
}

#[tokio::test]
async fn a_linked_attachment_follows_its_channel() {
    // The grace must outlast uploading and linking on a loaded machine (a 1 s grace once swept
    // an upload before its message was sent).
    let app = spawn_app_with(|config| {
        config.attachments.orphan_grace_secs = 5;
        config.attachments.sweep_interval_secs = 1;
    })
    .await;
    let owner = app.register("owner").await;
    let carol = app.register("carol").await;
    let mallory = app.register("mallory").await;
    let community_id = app.create_community(&owner, "Cats", "public").await;
    let lobby = app
        .create_group(&owner, community_id, "lobby", "public")
        .await;
    let staff = app
        .create_group(&owner, community_id, "staff", "private")
        .await;
    let general = app
        .create_channel(
            &owner,
            community_id,
            lobby,
            "general",
            serde_json::json!({}),
        )
        .await;
    let secret = app
        .create_channel(&owner, community_id, staff, "secret", serde_json::json!({}))
        .await;
    app.join_community(&carol, community_id).await;
    app.create_community(&mallory, "Elsewhere", "public").await;

    let send = |channel_id: uuid::Uuid, nonce: &'static str, id: String| {
        let app = &app;
        let token = owner.access_token.clone();
        async move {
            app.ok(
                Method::POST,
                &format!("/api/v1/channels/{channel_id}/messages"),
                &token,
                Some(serde_json::json!({ "nonce": nonce, "body": "", "attachment_ids": [id] })),
            )
            .await
        }
    };
    let public = id_of(&upload(&app, &owner.access_token, Some("a.png"), "", png(2, 3)).await);
    let hidden = id_of(&upload(&app, &owner.access_token, Some("b.png"), "", png(3, 2)).await);
    let unused = id_of(&upload(&app, &owner.access_token, Some("c.png"), "", png(1, 1)).await);
    let message = send(general, "n1", public.clone()).await;
    assert_eq!(
        message["attachments"][0]["attachment_id"], public,
        "{message}"
    );
    send(secret, "n2", hidden.clone()).await;

    // A member who sees the channel may download; another community's member may not, nor a
    // member who cannot see the channel.
    let member = download(&app, &carol.access_token, &public, &[]).await;
    assert_eq!(member.status, 200);
    assert_eq!(member.bytes, png(2, 3));
    let outsider = download(&app, &mallory.access_token, &public, &[]).await;
    assert_eq!(outsider.status, 404);
    let not_in_group = download(&app, &carol.access_token, &hidden, &[]).await;
    assert_eq!(not_in_group.status, 404);
    let owner_sees = download(&app, &owner.access_token, &hidden, &[]).await;
    assert_eq!(owner_sees.status, 200);

    // The sweeper takes the unused upload and leaves the linked ones.
    let swept = eventually(Duration::from_secs(30), || async {
        download(&app, &owner.access_token, &unused, &[])
            .await
            .status
            == 404
    })
    .await;
    assert!(swept, "the unused upload is still there");
    // The sweeper forgets the upload, then deletes its bytes: wait for both.
    let deleted = eventually(Duration::from_secs(30), || async {
        files_under(&store_dir(&app)).len() == 2
    })
    .await;
    assert!(deleted, "the unused upload's bytes are still stored");
    let still = download(&app, &carol.access_token, &public, &[]).await;
    assert_eq!(still.status, 200);

    // Deleting the message releases its attachment: gone for readers, then swept.
    let message_id = message["message_id"].as_str().unwrap();
    app.ok(
        Method::DELETE,
        &format!("/api/v1/channels/{general}/messages/{message_id}"),
        &owner.access_token,
        None,
    )
    .await;
    let released = download(&app, &carol.access_token, &public, &[]).await;
    assert_eq!(released.status, 404);
    let swept = eventually(Duration::from_secs(30), || async {
        files_under(&store_dir(&app)).len() == 1
    })
    .await;
    assert!(swept, "the deleted message's attachment is still stored");
}

#[tokio::test]
async fn an_upload_that_cannot_be_registered_is_not_kept() {
    let mut app = spawn_app().await;
    let alice = app.register("alice").await;
    app.message.kill();
    let refused = upload(
        &app,
        &alice.access_token,
        None,
        "",
        random_bytes(2 * 1024 * 1024),
    )
    .await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.code(), "service_unavailable");
    assert_eq!(files_under(&store_dir(&app)), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn a_conversation_attachment_is_for_its_members() {
    use base64::{Engine, engine::general_purpose::STANDARD};
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let community_id = app.create_community(&alice, "Friends", "public").await;
    app.join_community(&bob, community_id).await;
    app.join_community(&carol, community_id).await;
    let conversation = app
        .ok(
            Method::POST,
            "/api/v1/conversations",
            &alice.access_token,
            Some(serde_json::json!({ "member_ids": [bob.user_id] })),
        )
        .await;
    let conversation_id = uuid_of(&conversation["conversation_id"]);
    // Conversation files are meant to be encrypted by the client; the server cannot tell.
    let id = id_of(&upload(&app, &alice.access_token, None, "", random_bytes(4096)).await);
    let envelope = serde_json::json!({
        "sender_device_id": "laptop",
        "recipients": [{ "user_id": bob.user_id, "device_id": "phone", "ciphertext": STANDARD.encode("x") }],
    });
    app.ok(
        Method::POST,
        &format!("/api/v1/conversations/{conversation_id}/messages"),
        &alice.access_token,
        Some(serde_json::json!({ "nonce": "n1", "envelope": envelope, "attachment_ids": [id] })),
    )
    .await;

    assert_eq!(
        download(&app, &bob.access_token, &id, &[]).await.status,
        200
    );
    assert_eq!(
        download(&app, &alice.access_token, &id, &[]).await.status,
        200
    );
    assert_eq!(
        download(&app, &carol.access_token, &id, &[]).await.status,
        404
    );
}
