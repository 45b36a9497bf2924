//! Community invites: codes that let someone join a community, private ones included. Anyone
//! holding a code may preview its community without logging in.

use super::ApiResult;
use crate::{
    extract::{Anonymous, ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{contracts::community::*, error::ApiError};
use uuid::Uuid;

/// Creates an invite code, optionally limited in uses and time (`create_invites`).
#[utoipa::path(post, path = "/communities/{community_id}/invites", tag = "invites", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    request_body = CreateCommunityInviteRequest,
    responses((status = 201, description = "The new invite", body = CommunityInvite),
        (status = "4XX", description = "Invalid input, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn create_community_invite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<CreateCommunityInviteRequest>,
) -> ApiResult<(StatusCode, Json<CommunityInvite>)> {
    body.community_id = community_id;
    Ok((StatusCode::CREATED, Json(app.rpc.call(&ctx, &body).await?)))
}

/// The community's invites.
#[utoipa::path(get, path = "/communities/{community_id}/invites", tag = "invites", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community")),
    responses((status = 200, description = "The invites", body = CommunityInviteList),
        (status = "4XX", description = "Not authenticated, not allowed or no such community", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn list_community_invites(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(community_id): ApiPath<Uuid>,
) -> ApiResult<Json<CommunityInviteList>> {
    let request = ListCommunityInvitesRequest { community_id };
    Ok(Json(app.rpc.call(&ctx, &request).await?))
}

/// Revokes an invite code; it stops working at once.
#[utoipa::path(delete, path = "/communities/{community_id}/invites/{code}", tag = "invites", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("code" = String, Path, pattern = r"^[A-Za-z0-9_-]{1,64}$", description = "The invite code")),
    responses((status = 204, description = "Invite revoked"),
        (status = "4XX", description = "Not authenticated, not allowed or no such invite", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn revoke_community_invite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, code)): ApiPath<(Uuid, String)>,
) -> ApiResult<StatusCode> {
    let request = RevokeCommunityInviteRequest { community_id, code };
    app.rpc.call(&ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invite leads to: the community's name, description, icon and member count. Needs no
/// token, so a link can be shown before logging in.
#[utoipa::path(get, path = "/invites/{code}", tag = "invites",
    params(("code" = String, Path, pattern = r"^[A-Za-z0-9_-]{1,64}$", description = "The invite code")),
    responses((status = 200, description = "The invite's community", body = InvitePreview),
        (status = "4XX", description = "Unknown, revoked, expired or used-up invite", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn preview_invite(
    State(app): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<InvitePreview>> {
    Ok(Json(
        app.rpc.call(&ctx, &PreviewInviteRequest { code }).await?,
    ))
}

/// Joins the invite's community; at most `max_uses` acceptances succeed, however concurrent.
#[utoipa::path(post, path = "/invites/{code}/accept", tag = "invites", security(("bearer" = [])),
    params(("code" = String, Path, pattern = r"^[A-Za-z0-9_-]{1,64}$", description = "The invite code")),
    responses((status = 200, description = "The caller's view of the joined community", body = CommunityView),
        (status = "4XX", description = "Not authenticated, banned, or an unknown, expired or used-up invite", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn accept_invite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<CommunityView>> {
    Ok(Json(
        app.rpc.call(&ctx, &AcceptInviteRequest { code }).await?,
    ))
}
