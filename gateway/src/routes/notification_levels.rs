//! Notification levels: how the caller wants to hear of new messages, per text channel and per
//! conversation (`all`, `mentions`, `none`). Clients decide locally what to show; message-svc
//! keeps the choices so they follow the caller to every device, announces changes to the
//! caller's other connections (`notification_level_updated`) and leaves muted conversations out
//! of Web Push.

use crate::{
    error::HttpError,
    extract::{ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{
    contracts::{Empty, notifications::*},
    error::ApiError,
    rpc::CallerContext,
};
use uuid::Uuid;

type ApiResult<T> = Result<T, HttpError>;

fn channel(id: Uuid) -> NotificationTarget {
    NotificationTarget {
        kind: NotificationTargetKind::Channel,
        id,
    }
}

fn conversation(id: Uuid) -> NotificationTarget {
    NotificationTarget {
        kind: NotificationTargetKind::Conversation,
        id,
    }
}

async fn set(
    app: &AppState,
    ctx: &CallerContext,
    target: NotificationTarget,
    body: NotificationLevelSetting,
) -> ApiResult<Json<NotificationLevelSetting>> {
    let request = SetNotificationLevelRequest {
        target,
        level: body.level,
    };
    Ok(Json(app.rpc.call(ctx, &request).await?))
}

async fn reset(
    app: &AppState,
    ctx: &CallerContext,
    target: NotificationTarget,
) -> ApiResult<StatusCode> {
    let _: Empty = app
        .rpc
        .call(ctx, &ResetNotificationLevelRequest { target })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's explicit levels by channel and by conversation, and the defaults of every other
/// place (channel: `mentions`, conversation: `all`). A channel the caller no longer sees may
/// still be listed; conversations they left are not.
#[utoipa::path(get, path = "/users/@me/notification-levels", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "The caller's choices and the defaults", body = NotificationLevels),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn get_notification_levels(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<NotificationLevels>> {
    Ok(Json(
        app.rpc.call(&ctx, &GetNotificationLevelsRequest {}).await?,
    ))
}

/// Sets the caller's level in a text channel they can see.
#[utoipa::path(put, path = "/channels/{channel_id}/notification-level", tag = "notifications", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel")),
    request_body = NotificationLevelSetting,
    responses((status = 200, description = "The level now in force", body = NotificationLevelSetting),
        (status = 404, description = "`not_found`: no such channel, or the caller cannot see it", body = ApiError),
        (status = "4XX", description = "Invalid input (`invalid_request`: an unknown level, another field, a voice channel)", body = ApiError),
        (status = 503, description = "The message or community service is unavailable", body = ApiError)))]
pub async fn set_channel_notification_level(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NotificationLevelSetting>,
) -> ApiResult<Json<NotificationLevelSetting>> {
    set(&app, &ctx, channel(channel_id), body).await
}

/// Forgets the caller's level in a text channel: the default (`mentions`) applies again.
/// Idempotent.
#[utoipa::path(delete, path = "/channels/{channel_id}/notification-level", tag = "notifications", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel")),
    responses((status = 204, description = "Back to the default"),
        (status = 404, description = "`not_found`: no such channel, or the caller cannot see it", body = ApiError),
        (status = "4XX", description = "Invalid input (a voice channel)", body = ApiError),
        (status = 503, description = "The message or community service is unavailable", body = ApiError)))]
pub async fn reset_channel_notification_level(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    reset(&app, &ctx, channel(channel_id)).await
}

/// Sets the caller's level in a conversation they are a member of. Web Push honours `none`, and
/// treats `mentions` like it: conversation messages are end-to-end encrypted, so the server
/// cannot see whom they mention.
#[utoipa::path(put, path = "/conversations/{conversation_id}/notification-level", tag = "notifications", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    request_body = NotificationLevelSetting,
    responses((status = 200, description = "The level now in force", body = NotificationLevelSetting),
        (status = 404, description = "`not_found`: no such conversation, or the caller is not a member", body = ApiError),
        (status = "4XX", description = "Invalid input (`invalid_request`: an unknown level, another field)", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn set_conversation_notification_level(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NotificationLevelSetting>,
) -> ApiResult<Json<NotificationLevelSetting>> {
    set(&app, &ctx, conversation(conversation_id), body).await
}

/// Forgets the caller's level in a conversation: the default (`all`) applies again. Idempotent.
#[utoipa::path(delete, path = "/conversations/{conversation_id}/notification-level", tag = "notifications", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    responses((status = 204, description = "Back to the default"),
        (status = 404, description = "`not_found`: no such conversation, or the caller is not a member", body = ApiError),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn reset_conversation_notification_level(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    reset(&app, &ctx, conversation(conversation_id)).await
}
