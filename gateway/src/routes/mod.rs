//! The REST API under `/api/v1`: each handler parses its input, forwards it over NATS to the
//! owning service and maps the answer. The OpenAPI document is generated from these handlers.

pub mod accounts;
pub mod admin;
pub mod calls;
pub mod communities;
pub mod conversations;
pub mod instance;
pub mod keys;
pub mod messages;
pub mod presence;
pub mod push;

use crate::{
    attachments::{download, upload},
    error::HttpError,
    extract::RequestId,
    state::AppState,
};
use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{delete, get, patch, post, put},
};
use chatalot_shared::{contracts, error::ErrorCode};
use communities::{channels, community, groups, invites, members, moderation, overwrites, roles};
use prometheus::{HistogramVec, register_histogram_vec};
use std::{sync::LazyLock, time::Instant};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// The OpenAPI 3.1 document of the public API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Chatalot API", description = "The public API of a Chatalot instance.", license(name = "GPL-3.0-or-later")),
    paths(
        accounts::register, accounts::login, accounts::refresh, accounts::logout, accounts::logout_all,
        accounts::list_sessions, accounts::revoke_session, accounts::get_me, accounts::update_me,
        accounts::change_password,
        instance::get_instance, instance::update_instance, instance::create_invite,
        instance::list_invites, instance::revoke_invite,
        admin::list_users, admin::set_disabled, admin::set_role, admin::audit_log,
        community::create_community, community::discover_communities,
        community::list_my_communities, community::get_community, community::update_community,
        community::delete_community, community::transfer_ownership, community::get_community_view,
        groups::create_group, groups::update_group, groups::delete_group, groups::reorder_groups,
        channels::create_channel, channels::update_channel, channels::delete_channel,
        roles::list_roles, roles::create_role, roles::update_role, roles::delete_role,
        overwrites::list_group_overwrites, overwrites::set_group_overwrite,
        overwrites::delete_group_overwrite, overwrites::list_channel_overwrites,
        overwrites::set_channel_overwrite, overwrites::delete_channel_overwrite,
        members::join_community, members::leave_community, members::list_members,
        members::get_member, members::update_member, members::assign_role, members::remove_role,
        moderation::kick_member, moderation::ban_member, moderation::unban_member,
        moderation::list_bans, moderation::timeout_member, moderation::warn_member,
        moderation::list_warnings, moderation::community_audit_log,
        invites::create_community_invite, invites::list_community_invites, invites::revoke_community_invite,
        invites::preview_invite, invites::accept_invite,
        messages::channel_messages::send_channel_message, messages::channel_messages::forward_channel_message,
        messages::channel_messages::list_channel_messages, messages::channel_messages::list_thread_messages,
        messages::channel_messages::edit_channel_message, messages::channel_messages::delete_channel_message,
        messages::channel_messages::list_channel_message_edits,
        messages::reactions::add_channel_reaction, messages::reactions::remove_channel_reaction,
        messages::reactions::list_channel_reaction_users,
        messages::pins::pin_channel_message, messages::pins::unpin_channel_message, messages::pins::list_channel_pins,
        messages::read_state::mark_channel_read, messages::read_state::get_channel_read_state,
        messages::read_state::mark_community_read,
        messages::typing::start_channel_typing, messages::search::search_messages,
        conversations::create_conversation, conversations::list_conversations,
        conversations::get_conversation, conversations::update_conversation,
        conversations::add_conversation_members, conversations::leave_conversation,
        conversations::send_conversation_message, conversations::list_conversation_messages,
        conversations::mark_conversation_read, conversations::list_conversation_receipts,
        conversations::get_read_receipt_setting, conversations::set_read_receipt_setting,
        conversations::list_blocks, conversations::block_user, conversations::unblock_user,
        upload::upload_attachment, download::download_attachment, download::attachment_meta,
        keys::register_device, keys::delete_device, keys::rotate_signed_prekey,
        keys::upload_one_time_prekeys, keys::count_one_time_prekeys, keys::get_prekey_bundle,
        keys::list_user_devices,
        calls::get_channel_call, calls::get_conversation_call, calls::remove_call_participant,
        calls::get_ice_servers,
        presence::get_presence, presence::set_presence,
        push::get_vapid_public_key, push::subscribe_push, push::list_push_subscriptions,
        push::unsubscribe_push,
    ),
    // What arrives on the WebSocket: `event` payloads (by the name in `t`, see
    // docs/architecture.md) and what `ready` and call replies carry, so clients generate these
    // types from this document too.
    components(schemas(
        contracts::auth::UserUpdated, contracts::keys::DevicesChanged, contracts::keys::KeysLow,
        contracts::attachments::AttachmentUploaded, contracts::presence::PresenceUpdated,
        contracts::presence::Presence, contracts::calls::CallParticipantJoined,
        contracts::calls::CallParticipantUpdated, contracts::calls::CallParticipantLeft,
        contracts::calls::CallSignal, contracts::calls::CallAction, contracts::calls::CallState,
        contracts::community::CommunityUpdated, contracts::community::CommunityDeleted,
        contracts::community::GroupChanged, contracts::community::GroupDeleted,
        contracts::community::GroupsReordered, contracts::community::ChannelChanged,
        contracts::community::ChannelDeleted, contracts::community::RoleChanged,
        contracts::community::RoleDeleted, contracts::community::OverwriteChanged,
        contracts::community::OverwriteDeleted, contracts::community::MemberChanged,
        contracts::community::MemberRemoved, contracts::community::CommunityJoined,
        contracts::community::CommunityRemoved, contracts::community::CommunityViewChanged,
        contracts::community::CommunityView, contracts::messages::ChannelReadState,
        contracts::conversations::ConversationMessageCreated,
        contracts::conversations::ConversationRead, contracts::conversations::ConversationUpdated,
        contracts::conversations::ConversationLeft, contracts::messages::MessageCreated,
        contracts::messages::MessageEdited, contracts::messages::MessageDeleted,
        contracts::messages::ReactionAdded, contracts::messages::ReactionRemoved,
        contracts::messages::MessagePinned, contracts::messages::MessageUnpinned,
        contracts::messages::TypingStarted, contracts::messages::ReadStateUpdated,
        crate::ws::resume::ResumeGap,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, login, tokens and sessions"),
        (name = "users", description = "The caller's own account"),
        (name = "instance", description = "Instance settings and registration invites"),
        (name = "admin", description = "Account administration and the audit log"),
        (name = "communities", description = "Communities, their groups and channels, and members' views"),
        (name = "roles", description = "Community roles and permission overwrites"),
        (name = "members", description = "Joining, leaving, member profiles and moderation"),
        (name = "invites", description = "Community invites and their public previews"),
        (name = "messages", description = "Messages in text channels: history, threads, reactions, pins, read state, typing and search"),
        (name = "conversations", description = "Direct and group conversations, their end-to-end encrypted messages and read receipts"),
        (name = "blocks", description = "Blocking users"),
        (name = "attachments", description = "Uploading and downloading files"),
        (name = "devices", description = "Devices and their public keys for end-to-end encryption: prekeys and bundles"),
        (name = "calls", description = "Voice and video calls: participants, moderation and ICE servers (joining and signaling go over the WebSocket)"),
        (name = "presence", description = "The status a user chooses (online, idle, do not disturb, invisible) and their custom status"),
        (name = "push", description = "Web Push: the VAPID public key and the caller's push subscriptions, notified of conversation messages while they have no live connection"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document served at `/api/v1/openapi.json`, pretty-printed.
pub fn openapi_json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json()
}

/// The document as served: built and serialised once, not per request (it is large, public and
/// unauthenticated, so rebuilding it per request would let anyone keep the CPU busy).
static OPENAPI: LazyLock<axum::body::Bytes> = LazyLock::new(|| {
    serde_json::to_vec(&ApiDoc::openapi())
        .map(axum::body::Bytes::from)
        .unwrap_or_default()
});

async fn serve_openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI.clone(),
    )
        .into_response()
}

/// Every REST route, the OpenAPI document and the JSON fallbacks.
pub fn api_router(max_body_bytes: usize) -> Router<AppState> {
    let api = Router::new()
        .route("/auth/register", post(accounts::register))
        .route("/auth/login", post(accounts::login))
        .route("/auth/refresh", post(accounts::refresh))
        .route("/auth/logout", post(accounts::logout))
        .route("/auth/logout-all", post(accounts::logout_all))
        .route("/sessions", get(accounts::list_sessions))
        .route("/sessions/{session_id}", delete(accounts::revoke_session))
        .route(
            "/users/@me",
            get(accounts::get_me).patch(accounts::update_me),
        )
        .route("/users/@me/password", put(accounts::change_password))
        .route(
            "/instance",
            get(instance::get_instance).patch(instance::update_instance),
        )
        .route(
            "/instance/invites",
            post(instance::create_invite).get(instance::list_invites),
        )
        .route("/instance/invites/{code}", delete(instance::revoke_invite))
        .route("/admin/users", get(admin::list_users))
        .route("/admin/users/{user_id}/disabled", put(admin::set_disabled))
        .route("/admin/users/{user_id}/role", put(admin::set_role))
        .route("/admin/audit-log", get(admin::audit_log))
        .route("/communities", post(community::create_community))
        .route("/communities/discover", get(community::discover_communities))
        .route("/users/@me/communities", get(community::list_my_communities))
        .route(
            "/communities/{community_id}",
            get(community::get_community)
                .patch(community::update_community)
                .delete(community::delete_community),
        )
        .route(
            "/communities/{community_id}/transfer",
            post(community::transfer_ownership),
        )
        .route(
            "/communities/{community_id}/view",
            get(community::get_community_view),
        )
        .route(
            "/communities/{community_id}/groups",
            post(groups::create_group),
        )
        .route(
            "/communities/{community_id}/groups/order",
            put(groups::reorder_groups),
        )
        .route(
            "/communities/{community_id}/groups/{group_id}",
            patch(groups::update_group).delete(groups::delete_group),
        )
        .route(
            "/communities/{community_id}/channels",
            post(channels::create_channel),
        )
        .route(
            "/communities/{community_id}/channels/{channel_id}",
            patch(channels::update_channel).delete(channels::delete_channel),
        )
        .route(
            "/communities/{community_id}/roles",
            get(roles::list_roles).post(roles::create_role),
        )
        .route(
            "/communities/{community_id}/roles/{role_id}",
            patch(roles::update_role).delete(roles::delete_role),
        )
        .route(
            "/communities/{community_id}/groups/{group_id}/overwrites",
            get(overwrites::list_group_overwrites),
        )
        .route(
            "/communities/{community_id}/groups/{group_id}/overwrites/{subject_kind}/{subject_id}",
            put(overwrites::set_group_overwrite).delete(overwrites::delete_group_overwrite),
        )
        .route(
            "/communities/{community_id}/channels/{channel_id}/overwrites",
            get(overwrites::list_channel_overwrites),
        )
        .route(
            "/communities/{community_id}/channels/{channel_id}/overwrites/{subject_kind}/{subject_id}",
            put(overwrites::set_channel_overwrite).delete(overwrites::delete_channel_overwrite),
        )
        .route(
            "/communities/{community_id}/join",
            post(members::join_community),
        )
        .route(
            "/communities/{community_id}/leave",
            post(members::leave_community),
        )
        .route(
            "/communities/{community_id}/members",
            get(members::list_members),
        )
        .route(
            "/communities/{community_id}/members/{user_id}",
            get(members::get_member).patch(members::update_member),
        )
        .route(
            "/communities/{community_id}/members/{user_id}/roles/{role_id}",
            put(members::assign_role).delete(members::remove_role),
        )
        .route(
            "/communities/{community_id}/members/{user_id}/kick",
            post(moderation::kick_member),
        )
        .route(
            "/communities/{community_id}/members/{user_id}/timeout",
            put(moderation::timeout_member),
        )
        .route(
            "/communities/{community_id}/members/{user_id}/warnings",
            post(moderation::warn_member).get(moderation::list_warnings),
        )
        .route(
            "/communities/{community_id}/bans",
            get(moderation::list_bans),
        )
        .route(
            "/communities/{community_id}/bans/{user_id}",
            put(moderation::ban_member).delete(moderation::unban_member),
        )
        .route(
            "/communities/{community_id}/audit-log",
            get(moderation::community_audit_log),
        )
        .route(
            "/communities/{community_id}/invites",
            post(invites::create_community_invite).get(invites::list_community_invites),
        )
        .route(
            "/communities/{community_id}/invites/{code}",
            delete(invites::revoke_community_invite),
        )
        .route("/invites/{code}", get(invites::preview_invite))
        .route("/invites/{code}/accept", post(invites::accept_invite))
        .route(
            "/channels/{channel_id}/messages",
            get(messages::channel_messages::list_channel_messages)
                .post(messages::channel_messages::send_channel_message),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}",
            patch(messages::channel_messages::edit_channel_message)
                .delete(messages::channel_messages::delete_channel_message),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/edits",
            get(messages::channel_messages::list_channel_message_edits),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/forward",
            post(messages::channel_messages::forward_channel_message),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            put(messages::reactions::add_channel_reaction)
                .delete(messages::reactions::remove_channel_reaction)
                .get(messages::reactions::list_channel_reaction_users),
        )
        .route(
            "/channels/{channel_id}/threads/{root_id}/messages",
            get(messages::channel_messages::list_thread_messages),
        )
        .route(
            "/channels/{channel_id}/pins",
            get(messages::pins::list_channel_pins),
        )
        .route(
            "/channels/{channel_id}/pins/{message_id}",
            put(messages::pins::pin_channel_message).delete(messages::pins::unpin_channel_message),
        )
        .route(
            "/channels/{channel_id}/read",
            get(messages::read_state::get_channel_read_state)
                .put(messages::read_state::mark_channel_read),
        )
        .route(
            "/communities/{community_id}/read",
            post(messages::read_state::mark_community_read),
        )
        .route(
            "/channels/{channel_id}/typing",
            post(messages::typing::start_channel_typing),
        )
        .route("/search/messages", get(messages::search::search_messages))
        .route(
            "/conversations",
            post(conversations::create_conversation).get(conversations::list_conversations),
        )
        .route(
            "/conversations/{conversation_id}",
            get(conversations::get_conversation).patch(conversations::update_conversation),
        )
        .route(
            "/conversations/{conversation_id}/members",
            post(conversations::add_conversation_members),
        )
        .route(
            "/conversations/{conversation_id}/members/@me",
            delete(conversations::leave_conversation),
        )
        .route(
            "/conversations/{conversation_id}/messages",
            post(conversations::send_conversation_message)
                .get(conversations::list_conversation_messages),
        )
        .route(
            "/conversations/{conversation_id}/read",
            put(conversations::mark_conversation_read),
        )
        .route(
            "/conversations/{conversation_id}/receipts",
            get(conversations::list_conversation_receipts),
        )
        .route(
            "/users/@me/settings/read-receipts",
            get(conversations::get_read_receipt_setting)
                .put(conversations::set_read_receipt_setting),
        )
        .route("/users/@me/blocks", get(conversations::list_blocks))
        .route(
            "/users/@me/blocks/{user_id}",
            put(conversations::block_user).delete(conversations::unblock_user),
        )
        // Attachments stream their bodies and count against attachments.max_bytes instead.
        .route(
            "/attachments",
            post(upload::upload_attachment).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/attachments/{attachment_id}",
            get(download::download_attachment),
        )
        .route(
            "/attachments/{attachment_id}/meta",
            get(download::attachment_meta),
        )
        .route("/devices", post(keys::register_device))
        .route("/devices/{device_id}", delete(keys::delete_device))
        .route(
            "/devices/{device_id}/signed-prekey",
            put(keys::rotate_signed_prekey),
        )
        .route(
            "/devices/{device_id}/one-time-prekeys",
            post(keys::upload_one_time_prekeys),
        )
        .route(
            "/devices/{device_id}/one-time-prekeys/count",
            get(keys::count_one_time_prekeys),
        )
        .route("/devices/{device_id}/bundle", get(keys::get_prekey_bundle))
        .route("/users/{user_id}/devices", get(keys::list_user_devices))
        .route(
            "/users/@me/presence",
            get(presence::get_presence).put(presence::set_presence),
        )
        .route("/channels/{channel_id}/call", get(calls::get_channel_call))
        .route(
            "/channels/{channel_id}/call/participants/{user_id}",
            delete(calls::remove_call_participant),
        )
        .route(
            "/conversations/{conversation_id}/call",
            get(calls::get_conversation_call),
        )
        .route("/calls/ice-servers", get(calls::get_ice_servers))
        .route("/push/vapid-public-key", get(push::get_vapid_public_key))
        .route(
            "/push/subscriptions",
            post(push::subscribe_push)
                .get(push::list_push_subscriptions)
                .delete(push::unsubscribe_push),
        )
        .route("/openapi.json", get(serve_openapi))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .nest("/api/v1", api)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn(observe))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            HttpError::new(ErrorCode::Internal, "internal server error").into_response()
        }))
}

async fn route_not_found() -> HttpError {
    HttpError::new(ErrorCode::RouteNotFound, "no such route")
}

async fn method_not_allowed() -> HttpError {
    HttpError::new(
        ErrorCode::MethodNotAllowed,
        "this route does not accept this method",
    )
}

static HTTP_SECONDS: LazyLock<Option<HistogramVec>> = LazyLock::new(|| {
    register_histogram_vec!(
        "chatalot_http_request_seconds",
        "Gateway REST requests by route, method and status",
        &["route", "method", "status"]
    )
    .ok()
});

/// Gives each request an id (echoed as `X-Request-Id`), records its duration by route (never
/// the raw path), and logs failures once.
async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let mut response = next.run(request).await;
    let status = response.status();
    if let Some(histogram) = HTTP_SECONDS.as_ref() {
        histogram
            .with_label_values(&[route.as_str(), method.as_str(), status.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    if status.is_server_error() {
        tracing::warn!(%request_id, %route, %method, status = status.as_u16(), "request failed");
    } else {
        tracing::debug!(%request_id, %route, %method, status = status.as_u16(), "request");
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
