//! Messages of a text channel: send, forward, history, threads, edit, delete and edit history.

use super::ApiResult;
use crate::{
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::messages::*, error::ApiError};
use uuid::Uuid;

/// Sends a message. Sending the same nonce again returns the first message and creates nothing.
#[utoipa::path(post, path = "/channels/{channel_id}/messages", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel")),
    request_body = SendMessageRequest,
    responses((status = 201, description = "The message (the same one for a repeated nonce)", body = Message),
        (status = "4XX", description = "Invalid input, not allowed, slow mode (429) or no such channel", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn send_channel_message(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<SendMessageRequest>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    body.channel_id = channel_id;
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// Forwards a message's text to another channel, with attribution.
#[utoipa::path(post, path = "/channels/{channel_id}/messages/{message_id}/forward", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The source channel"),
        ("message_id" = Uuid, Path, description = "The message to forward")),
    request_body = ForwardMessageRequest,
    responses((status = 201, description = "The forwarded copy", body = Message),
        (status = "4XX", description = "Invalid input, not allowed, slow mode (429) or no such channel or message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn forward_channel_message(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(mut body): ApiJson<ForwardMessageRequest>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    body.channel_id = channel_id;
    body.message_id = message_id;
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// A page of the channel's main history (thread replies excluded), oldest first.
#[utoipa::path(get, path = "/channels/{channel_id}/messages", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"), ListMessagesRequest),
    responses((status = 200, description = "Messages, oldest first", body = MessageList),
        (status = "4XX", description = "Invalid query or no such channel", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_channel_messages(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(channel_id): ApiPath<Uuid>,
    ApiQuery(mut query): ApiQuery<ListMessagesRequest>,
) -> ApiResult<Json<MessageList>> {
    query.channel_id = channel_id;
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}

/// A page of a thread's replies, oldest first.
#[utoipa::path(get, path = "/channels/{channel_id}/threads/{root_id}/messages", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("root_id" = Uuid, Path, description = "The thread's root message"), ListThreadMessagesRequest),
    responses((status = 200, description = "Replies, oldest first", body = MessageList),
        (status = "4XX", description = "Invalid query or no such channel or thread", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_thread_messages(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, root_id)): ApiPath<(Uuid, Uuid)>,
    ApiQuery(mut query): ApiQuery<ListThreadMessagesRequest>,
) -> ApiResult<Json<MessageList>> {
    query.channel_id = channel_id;
    query.root_id = root_id;
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}

/// Replaces the body of one of the caller's own messages; the old body is kept.
#[utoipa::path(patch, path = "/channels/{channel_id}/messages/{message_id}", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("message_id" = Uuid, Path, description = "The message")),
    request_body = EditMessageRequest,
    responses((status = 200, description = "The edited message", body = Message),
        (status = "4XX", description = "Invalid input, not the author, not allowed or no such message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn edit_channel_message(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(mut body): ApiJson<EditMessageRequest>,
) -> ApiResult<Json<Message>> {
    body.channel_id = channel_id;
    body.message_id = message_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Deletes a message (own, or anyone's with `manage_messages`); it stays as a tombstone.
#[utoipa::path(delete, path = "/channels/{channel_id}/messages/{message_id}", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("message_id" = Uuid, Path, description = "The message")),
    responses((status = 204, description = "Message deleted"),
        (status = "4XX", description = "Not allowed or no such message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn delete_channel_message(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let request = DeleteMessageRequest {
        channel_id,
        message_id,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The previous bodies of a message, oldest first.
#[utoipa::path(get, path = "/channels/{channel_id}/messages/{message_id}/edits", tag = "messages", security(("bearer" = [])),
    params(("channel_id" = Uuid, Path, description = "The text channel"),
        ("message_id" = Uuid, Path, description = "The message")),
    responses((status = 200, description = "Previous versions, oldest first", body = MessageEditList),
        (status = "4XX", description = "No such channel or message", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_channel_message_edits(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((channel_id, message_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<MessageEditList>> {
    let request = ListMessageEditsRequest {
        channel_id,
        message_id,
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}
