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
pub mod notification_levels;
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
    routing::get,
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
use utoipa_axum::{router::OpenApiRouter, routes};

/// The OpenAPI 3.1 document of the public API, without its paths: [`openapi`] adds those from
/// the routes.
#[derive(OpenApi)]
#[openapi(
    info(title = "Chatalot API", description = "The public API of a Chatalot instance.", license(name = "GPL-3.0-or-later")),
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
        contracts::notifications::NotificationLevelUpdated,
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
        (name = "notifications", description = "Notification levels per text channel and per conversation (all, mentions, none), kept for every device of the caller and honoured by Web Push"),
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
    openapi().to_pretty_json()
}

/// The document: the paths of [`documented_routes`] under `/api/v1`, with [`ApiDoc`]'s
/// components, tags and security schemes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, paths) = documented_routes().split_for_parts();
    ApiDoc::openapi().nest("/api/v1", paths)
}

/// The document as served: built and serialised once, not per request (it is large, public and
/// unauthenticated, so rebuilding it per request would let anyone keep the CPU busy).
static OPENAPI: LazyLock<axum::body::Bytes> = LazyLock::new(|| {
    serde_json::to_vec(&openapi())
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

/// Every documented REST route (paths relative to `/api/v1`) with its OpenAPI operation: each
/// route is registered from its handler's `#[utoipa::path]` (method and path included), so a
/// route cannot exist without a spec entry nor a spec entry without a route. One `routes!` per
/// path: the macro mounts all its handlers on every path they name. The only route outside is
/// `/openapi.json`, the document itself.
fn documented_routes() -> OpenApiRouter<AppState> {
    // Attachments stream their bodies and count against attachments.max_bytes instead.
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload::upload_attachment))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::refresh))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::logout_all))
        .routes(routes!(accounts::list_sessions))
        .routes(routes!(accounts::revoke_session))
        .routes(routes!(accounts::get_me, accounts::update_me))
        .routes(routes!(accounts::change_password))
        .routes(routes!(instance::get_instance, instance::update_instance))
        .routes(routes!(instance::create_invite, instance::list_invites))
        .routes(routes!(instance::revoke_invite))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::set_disabled))
        .routes(routes!(admin::set_role))
        .routes(routes!(admin::audit_log))
        .routes(routes!(community::create_community))
        .routes(routes!(community::discover_communities))
        .routes(routes!(community::list_my_communities))
        .routes(routes!(
            community::get_community,
            community::update_community,
            community::delete_community
        ))
        .routes(routes!(community::transfer_ownership))
        .routes(routes!(community::get_community_view))
        .routes(routes!(groups::create_group))
        .routes(routes!(groups::reorder_groups))
        .routes(routes!(groups::update_group, groups::delete_group))
        .routes(routes!(channels::create_channel))
        .routes(routes!(channels::update_channel, channels::delete_channel))
        .routes(routes!(roles::list_roles, roles::create_role))
        .routes(routes!(roles::update_role, roles::delete_role))
        .routes(routes!(overwrites::list_group_overwrites))
        .routes(routes!(
            overwrites::set_group_overwrite,
            overwrites::delete_group_overwrite
        ))
        .routes(routes!(overwrites::list_channel_overwrites))
        .routes(routes!(
            overwrites::set_channel_overwrite,
            overwrites::delete_channel_overwrite
        ))
        .routes(routes!(members::join_community))
        .routes(routes!(members::leave_community))
        .routes(routes!(members::list_members))
        .routes(routes!(members::get_member, members::update_member))
        .routes(routes!(members::assign_role, members::remove_role))
        .routes(routes!(moderation::kick_member))
        .routes(routes!(moderation::timeout_member))
        .routes(routes!(moderation::warn_member, moderation::list_warnings))
        .routes(routes!(moderation::list_bans))
        .routes(routes!(moderation::ban_member, moderation::unban_member))
        .routes(routes!(moderation::community_audit_log))
        .routes(routes!(
            invites::create_community_invite,
            invites::list_community_invites
        ))
        .routes(routes!(invites::revoke_community_invite))
        .routes(routes!(invites::preview_invite))
        .routes(routes!(invites::accept_invite))
        .routes(routes!(
            messages::channel_messages::list_channel_messages,
            messages::channel_messages::send_channel_message
        ))
        .routes(routes!(
            messages::channel_messages::edit_channel_message,
            messages::channel_messages::delete_channel_message
        ))
        .routes(routes!(
            messages::channel_messages::list_channel_message_edits
        ))
        .routes(routes!(messages::channel_messages::forward_channel_message))
        .routes(routes!(
            messages::reactions::add_channel_reaction,
            messages::reactions::remove_channel_reaction,
            messages::reactions::list_channel_reaction_users
        ))
        .routes(routes!(messages::channel_messages::list_thread_messages))
        .routes(routes!(messages::pins::list_channel_pins))
        .routes(routes!(
            messages::pins::pin_channel_message,
            messages::pins::unpin_channel_message
        ))
        .routes(routes!(
            messages::read_state::get_channel_read_state,
            messages::read_state::mark_channel_read
        ))
        .routes(routes!(messages::read_state::mark_community_read))
        .routes(routes!(messages::typing::start_channel_typing))
        .routes(routes!(messages::search::search_messages))
        .routes(routes!(
            conversations::create_conversation,
            conversations::list_conversations
        ))
        .routes(routes!(
            conversations::get_conversation,
            conversations::update_conversation
        ))
        .routes(routes!(conversations::add_conversation_members))
        .routes(routes!(conversations::leave_conversation))
        .routes(routes!(
            conversations::send_conversation_message,
            conversations::list_conversation_messages
        ))
        .routes(routes!(conversations::mark_conversation_read))
        .routes(routes!(conversations::list_conversation_receipts))
        .routes(routes!(
            conversations::get_read_receipt_setting,
            conversations::set_read_receipt_setting
        ))
        .routes(routes!(notification_levels::get_notification_levels))
        .routes(routes!(
            notification_levels::set_channel_notification_level,
            notification_levels::reset_channel_notification_level
        ))
        .routes(routes!(
            notification_levels::set_conversation_notification_level,
            notification_levels::reset_conversation_notification_level
        ))
        .routes(routes!(conversations::list_blocks))
        .routes(routes!(
            conversations::block_user,
            conversations::unblock_user
        ))
        .routes(routes!(download::download_attachment))
        .routes(routes!(download::attachment_meta))
        .routes(routes!(keys::register_device))
        .routes(routes!(keys::delete_device))
        .routes(routes!(keys::rotate_signed_prekey))
        .routes(routes!(keys::upload_one_time_prekeys))
        .routes(routes!(keys::count_one_time_prekeys))
        .routes(routes!(keys::get_prekey_bundle))
        .routes(routes!(keys::list_user_devices))
        .routes(routes!(presence::get_presence, presence::set_presence))
        .routes(routes!(calls::get_channel_call))
        .routes(routes!(calls::remove_call_participant))
        .routes(routes!(calls::get_conversation_call))
        .routes(routes!(calls::get_ice_servers))
        .routes(routes!(push::get_vapid_public_key))
        .routes(routes!(
            push::subscribe_push,
            push::list_push_subscriptions,
            push::unsubscribe_push
        ))
        .merge(uploads)
}

/// Every REST route, the OpenAPI document and the JSON fallbacks.
pub fn api_router(max_body_bytes: usize) -> Router<AppState> {
    let (api, _) = documented_routes().split_for_parts();
    let api = api
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
