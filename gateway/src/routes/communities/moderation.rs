//! Moderation: kicks, bans, timeouts and warnings of members ranked below the caller, and the
//! community audit log that records them.

use super::{ApiResult, OptionalJson};
use crate::{
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::community::*, error::ApiError};
use uuid::Uuid;

/// The reason of an optional moderation body, `None` without a body.
fn reason_of(body: OptionalJson<ModerationReason>) -> Option<String> {
    body.0.and_then(|body| body.reason)
}

/// Removes a member, who may join again (`kick_members`). The body is optional.
#[utoipa::path(post, path = "/communities/{community_id}/members/{user_id}/kick", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The member")),
    request_body(content = Option<ModerationReason>, description = "An optional reason; the body may be empty"),
    responses((status = 204, description = "Member removed"),
        (status = "4XX", description = "Invalid input, not allowed or no such member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn kick_member(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id)): ApiPath<(Uuid, Uuid)>,
    body: OptionalJson<ModerationReason>,
) -> ApiResult<StatusCode> {
    let request = KickMemberRequest {
        community_id,
        user_id,
        reason: reason_of(body),
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bans a user, member or not (`ban_members`). The body is optional.
#[utoipa::path(put, path = "/communities/{community_id}/bans/{user_id}", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The user")),
    request_body(content = Option<ModerationReason>, description = "An optional reason; the body may be empty"),
    responses((status = 200, description = "The ban", body = Ban),
        (status = "4XX", description = "Invalid input, not allowed or no such user", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn ban_member(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id)): ApiPath<(Uuid, Uuid)>,
    body: OptionalJson<ModerationReason>,
) -> ApiResult<Json<Ban>> {
    let request = BanMemberRequest {
        community_id,
        user_id,
        reason: reason_of(body),
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Lifts a ban (`ban_members`).
#[utoipa::path(delete, path = "/communities/{community_id}/bans/{user_id}", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The banned user")),
    responses((status = 204, description = "Ban lifted"),
        (status = "4XX", description = "Not authenticated, not allowed or no such ban", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn unban_member(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let request = UnbanMemberRequest {
        community_id,
        user_id,
    };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The community's bans (`ban_members`).
#[utoipa::path(get, path = "/communities/{community_id}/bans", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 200, description = "The bans", body = BanList),
        (status = "4XX", description = "Not authenticated, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn list_bans(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<Json<BanList>> {
    let request = ListBansRequest { community_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Times a member out until `until`, or lifts the timeout when `until` is null
/// (`timeout_members`).
#[utoipa::path(put, path = "/communities/{community_id}/members/{user_id}/timeout", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The member")),
    request_body = TimeoutMemberRequest,
    responses((status = 200, description = "The member with their timeout", body = Member),
        (status = "4XX", description = "Invalid input, not allowed or no such member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn timeout_member(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(mut body): ApiJson<TimeoutMemberRequest>,
) -> ApiResult<Json<Member>> {
    body.community_id = community_id;
    body.user_id = user_id;
    Ok(Json(app.rpc.call(&ctx, &body).await?))
}

/// Records a warning against a member ranked below the caller.
#[utoipa::path(post, path = "/communities/{community_id}/members/{user_id}/warnings", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The member")),
    request_body = WarnMemberRequest,
    responses((status = 201, description = "The warning", body = Warning),
        (status = "4XX", description = "Invalid input, not allowed or no such member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn warn_member(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(mut body): ApiJson<WarnMemberRequest>,
) -> ApiResult<(StatusCode, Json<Warning>)> {
    body.community_id = community_id;
    body.user_id = user_id;
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// A member's warnings (moderators, or the member themselves).
#[utoipa::path(get, path = "/communities/{community_id}/members/{user_id}/warnings", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("user_id" = Uuid, Path, description = "The member")),
    responses((status = 200, description = "The member's warnings", body = WarningList),
        (status = "4XX", description = "Not authenticated, not allowed or no such member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn list_warnings(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<WarningList>> {
    let request = ListWarningsRequest {
        community_id,
        user_id,
    };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// The community's audit log, newest first, with filters (`view_audit_log`).
#[utoipa::path(get, path = "/communities/{community_id}/audit-log", tag = "members", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"), QueryCommunityAuditRequest),
    responses((status = 200, description = "A page of audit entries", body = CommunityAuditPage),
        (status = "4XX", description = "Invalid query, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn community_audit_log(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiQuery(mut query): ApiQuery<QueryCommunityAuditRequest>,
) -> ApiResult<Json<CommunityAuditPage>> {
    query.community_id = community_id;
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}
