//! The call API over REST: who is in a call, removing a participant (moderators), and ICE
//! servers. Joining, leaving, one's own state and signaling go over the WebSocket
//! (`{"op":"call",...}`), which binds a participant to its connection; see `docs/calls.md`.
//! Every handler forwards to signal-svc, which decides what the caller may do.

use crate::{
    error::HttpError,
    extract::{ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{
    contracts::{Empty, calls::*},
    error::ApiError,
};
use uuid::Uuid;

type ApiResult<T> = Result<T, HttpError>;

/// The call of a voice channel: its cap and participants with their state (empty when nobody
/// is in it). For anyone who can see the channel; `not_found` for everyone else.
#[utoipa::path(get, path = "/channels/{channel_id}/call", tag = "calls", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "A voice channel")),
    responses((status = 200, description = "The call", body = CallState),
        (status = 400, description = "A text channel (`invalid_request`)", body = ApiError),
        (status = "4XX", description = "Not authenticated, or no such channel visible to the caller", body = ApiError),
        (status = 503, description = "The signal or community service is unavailable", body = ApiError)))]
pub async fn get_channel_call(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
) -> ApiResult<Json<CallState>> {
    let request = GetCallRequest {
        call: CallId::Channel(channel_id),
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// The call of a conversation, for its members (`not_found` for everyone else).
#[utoipa::path(get, path = "/conversations/{conversation_id}/call", tag = "calls", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    responses((status = 200, description = "The call", body = CallState),
        (status = "4XX", description = "Not authenticated, or not a member of the conversation", body = ApiError),
        (status = 503, description = "The signal or message service is unavailable", body = ApiError)))]
pub async fn get_conversation_call(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
) -> ApiResult<Json<CallState>> {
    let request = GetCallRequest {
        call: CallId::Conversation(conversation_id),
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Removes someone from a voice channel's call: needs `kick_members` and a highest role above
/// theirs (the community's moderation rules). Everyone who sees the channel gets
/// `call_participant_left` with reason `removed`, and nothing is relayed to or from them any
/// more. They may join again unless denied `connect`.
#[utoipa::path(delete, path = "/channels/{channel_id}/call/participants/{user_id}", tag = "calls", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "A voice channel"),
        ("user_id" = Uuid, Path, description = "The participant")),
    responses((status = 204, description = "They are out of the call"),
        (status = 403, description = "Without `kick_members`, or on someone of the same rank or above (`forbidden`)", body = ApiError),
        (status = "4XX", description = "Not authenticated, no such channel visible to the caller, or that user is not in the call", body = ApiError),
        (status = 503, description = "The signal or community service is unavailable", body = ApiError)))]
pub async fn remove_call_participant(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let request = RemoveCallParticipantRequest {
        call: CallId::Channel(channel_id),
        user_id,
    };
    let _: Empty = app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The ICE servers for `RTCPeerConnection`: the instance's STUN servers, and its TURN servers
/// with credentials for the caller (coturn `use-auth-secret`: username
/// `<expiry unix seconds>:<user id>`, password base64(HMAC-SHA1(secret, username))) valid until
/// `expires_at`. Empty when the instance configures none (peers then connect directly only).
#[utoipa::path(get, path = "/calls/ice-servers", tag = "calls", security(("bearer" = [])),
    responses((status = 200, description = "The ICE servers", body = IceServers),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The signal service is unavailable", body = ApiError)))]
pub async fn get_ice_servers(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<IceServers>> {
    Ok(Json(app.rpc.call(&ctx, &IceServersRequest {}).await?))
}
