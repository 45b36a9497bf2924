//! The conversation API: direct and group conversations, their end-to-end encrypted messages,
//! read receipts and the opt-out, and user blocks. Every handler forwards to message-svc, which
//! decides what the caller may do; ids in the path win over ids in a body.
//!
//! Conversation messages are envelopes of ciphertexts. Their body is parsed here with
//! [`SendConversationMessageRequest::from_json`], so readable text is refused with
//! `plaintext_not_allowed` before anything leaves the gateway.

use crate::{
    error::HttpError,
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{
    contracts::{Empty, conversations::*},
    error::ApiError,
};
use uuid::Uuid;

type ApiResult<T> = Result<T, HttpError>;

/// 201 when this call created the thing, 200 when it already existed.
fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// Starts a conversation: one other person makes a direct conversation (the pair's existing
/// one, with 200, if they have it), two to 24 a group. Everyone named must share a community
/// with the caller, and no block may stand between them.
#[utoipa::path(post, path = "/conversations", tag = "conversations", security(("bearer" = [])),
    request_body = CreateConversationRequest,
    responses((status = 201, description = "The new conversation", body = Conversation),
        (status = 200, description = "The pair's existing direct conversation", body = Conversation),
        (status = "4XX", description = "Invalid input, more than 25 people, no shared community or a block", body = ApiError),
        (status = 503, description = "The message or community service is unavailable", body = ApiError)))]
pub async fn create_conversation(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<CreateConversationRequest>,
) -> ApiResult<(StatusCode, Json<Conversation>)> {
    let creation = app.rpc.call(&ctx, &body).await?;
    Ok((created_or_ok(creation.created), Json(creation.conversation)))
}

/// The caller's conversations, most recent activity first.
#[utoipa::path(get, path = "/conversations", tag = "conversations", security(("bearer" = [])),
    responses((status = 200, description = "The caller's conversations", body = ConversationList),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_conversations(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<ConversationList>> {
    Ok(Json(
        app.rpc.call(&ctx, &ListConversationsRequest {}).await?,
    ))
}

/// One conversation (members only).
#[utoipa::path(get, path = "/conversations/{conversation_id}", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    responses((status = 200, description = "The conversation", body = Conversation),
        (status = "4XX", description = "Not authenticated, or not a member", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn get_conversation(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
) -> ApiResult<Json<Conversation>> {
    let request = GetConversationRequest { conversation_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Renames a group (any member; an empty name clears it).
#[utoipa::path(patch, path = "/conversations/{conversation_id}", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    request_body = UpdateConversationRequest,
    responses((status = 200, description = "The renamed conversation", body = Conversation),
        (status = "4XX", description = "Invalid name, a direct conversation, or not a member", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn update_conversation(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<UpdateConversationRequest>,
) -> ApiResult<Json<Conversation>> {
    body.conversation_id = conversation_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Adds people to a group (any member), up to 25 members in all.
#[utoipa::path(post, path = "/conversations/{conversation_id}/members", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    request_body = AddConversationMembersRequest,
    responses((status = 200, description = "The conversation with its new members", body = Conversation),
        (status = "4XX", description = "Invalid input, over 25 members, a direct conversation, no shared community, a block, or not a member", body = ApiError),
        (status = 503, description = "The message or community service is unavailable", body = ApiError)))]
pub async fn add_conversation_members(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<AddConversationMembersRequest>,
) -> ApiResult<Json<Conversation>> {
    body.conversation_id = conversation_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Leaves a group (a direct conversation cannot be left).
#[utoipa::path(delete, path = "/conversations/{conversation_id}/members/@me", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    responses((status = 204, description = "Left the conversation"),
        (status = "4XX", description = "A direct conversation, or not a member", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn leave_conversation(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let _: Empty = app
        .rpc
        .call(&ctx, &LeaveConversationRequest { conversation_id })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends an end-to-end encrypted message: one ciphertext per recipient device. Each recipient
/// receives `conversation_message_created` with only their devices' ciphertexts (nothing for
/// those who blocked the caller). Repeating a nonce returns the stored message with 200.
#[utoipa::path(post, path = "/conversations/{conversation_id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    request_body = SendConversationMessageRequest,
    responses((status = 201, description = "The stored message, with the caller's own devices' ciphertexts", body = ConversationMessage),
        (status = 200, description = "The message stored earlier with this nonce", body = ConversationMessage),
        (status = "4XX", description = "Plaintext (`plaintext_not_allowed`), an invalid envelope, a recipient who is not a member, or not a member", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn send_conversation_message(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<ConversationMessage>)> {
    let mut request = SendConversationMessageRequest::from_json(body)?;
    request.conversation_id = conversation_id;
    let sent = app.rpc.call(&ctx, &request).await?;
    Ok((created_or_ok(sent.created), Json(sent.message)))
}

/// A page of history, oldest first, with only the caller's devices' ciphertexts.
#[utoipa::path(get, path = "/conversations/{conversation_id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation"), ListConversationMessagesRequest),
    responses((status = 200, description = "A page of messages", body = ConversationMessagePage),
        (status = "4XX", description = "Invalid query, or not a member", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_conversation_messages(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
    ApiQuery(mut query): ApiQuery<ListConversationMessagesRequest>,
) -> ApiResult<Json<ConversationMessagePage>> {
    query.conversation_id = conversation_id;
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}

/// Moves the caller's read marker forward (never back). The other members receive
/// `conversation_read` unless the caller opted out of read receipts.
#[utoipa::path(put, path = "/conversations/{conversation_id}/read", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    request_body = MarkConversationReadRequest,
    responses((status = 200, description = "The caller's marker as it now stands", body = ReadReceipt),
        (status = "4XX", description = "Invalid input, no such message, or not a member", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn mark_conversation_read(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<MarkConversationReadRequest>,
) -> ApiResult<Json<ReadReceipt>> {
    body.conversation_id = conversation_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Who has read up to where (members who opted out are left out).
#[utoipa::path(get, path = "/conversations/{conversation_id}/receipts", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = Uuid, Path, description = "The conversation")),
    responses((status = 200, description = "The members' read markers", body = ReceiptList),
        (status = "4XX", description = "Not authenticated, or not a member", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_conversation_receipts(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(conversation_id): ApiPath<Uuid>,
) -> ApiResult<Json<ReceiptList>> {
    let request = ListConversationReceiptsRequest { conversation_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Whether the caller shares read receipts (enabled unless they opted out).
#[utoipa::path(get, path = "/users/@me/settings/read-receipts", tag = "conversations", security(("bearer" = [])),
    responses((status = 200, description = "The setting", body = ReadReceiptSetting),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn get_read_receipt_setting(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<ReadReceiptSetting>> {
    Ok(Json(
        app.rpc.call(&ctx, &GetReadReceiptSettingRequest {}).await?,
    ))
}

/// Shares or stops sharing the caller's read receipts.
#[utoipa::path(put, path = "/users/@me/settings/read-receipts", tag = "conversations", security(("bearer" = [])),
    request_body = SetReadReceiptSettingRequest,
    responses((status = 200, description = "The setting", body = ReadReceiptSetting),
        (status = "4XX", description = "Invalid input or not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn set_read_receipt_setting(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<SetReadReceiptSettingRequest>,
) -> ApiResult<Json<ReadReceiptSetting>> {
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// The users the caller has blocked, most recent first.
#[utoipa::path(get, path = "/users/@me/blocks", tag = "blocks", security(("bearer" = [])),
    responses((status = 200, description = "The caller's blocks", body = BlockList),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_blocks(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<BlockList>> {
    Ok(Json(app.rpc.call(&ctx, &ListBlocksRequest {}).await?))
}

/// Blocks a user: no new conversation between the two, and nothing they send reaches the
/// caller any more.
#[utoipa::path(put, path = "/users/@me/blocks/{user_id}", tag = "blocks", security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The user to block")),
    responses((status = 204, description = "Blocked"),
        (status = "4XX", description = "Oneself, no such user, or not authenticated", body = ApiError),
        (status = 503, description = "The message or auth service is unavailable", body = ApiError)))]
pub async fn block_user(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(user_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let _: Empty = app.rpc.call(&ctx, &BlockUserRequest { user_id }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a block.
#[utoipa::path(delete, path = "/users/@me/blocks/{user_id}", tag = "blocks", security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The user to unblock")),
    responses((status = 204, description = "Not blocked (any more)"),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn unblock_user(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(user_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let _: Empty = app.rpc.call(&ctx, &UnblockUserRequest { user_id }).await?;
    Ok(StatusCode::NO_CONTENT)
}
