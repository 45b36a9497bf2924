//! Permission overwrites: what a role or member is explicitly allowed or denied on one group or
//! channel (`manage_roles`). The same three operations exist under groups and channels.

use super::ApiResult;
use crate::{
    extract::{ApiJson, ApiPath, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{
    contracts::{
        community::*,
        permissions::{Permission, PermissionSet},
    },
    error::ApiError,
    rpc::CallerContext,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Whom an overwrite in the path is for; any other word is refused with `invalid_request`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A role (the community id for `@everyone`).
    Role,
    /// One member, by user id.
    Member,
}

impl SubjectKind {
    fn subject(self, id: Uuid) -> OverwriteSubject {
        match self {
            SubjectKind::Role => OverwriteSubject::Role(id),
            SubjectKind::Member => OverwriteSubject::Member(id),
        }
    }
}

/// Body of setting an overwrite: the whole allow and deny lists (absent means empty).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverwriteBody {
    #[serde(default)]
    #[schema(value_type = Vec<Permission>)]
    pub allow: PermissionSet,
    #[serde(default)]
    #[schema(value_type = Vec<Permission>)]
    pub deny: PermissionSet,
}

async fn list(
    app: &AppState,
    ctx: &CallerContext,
    community_id: Uuid,
    target: OverwriteTarget,
) -> ApiResult<Json<OverwriteList>> {
    let request = ListOverwritesRequest {
        community_id,
        target,
    };
    Ok(Json(app.rpc.call(ctx, &request).await?))
}

async fn set(
    app: &AppState,
    ctx: &CallerContext,
    community_id: Uuid,
    target: OverwriteTarget,
    subject: OverwriteSubject,
    body: OverwriteBody,
) -> ApiResult<Json<Overwrite>> {
    let request = SetOverwriteRequest {
        community_id,
        target,
        subject,
        allow: body.allow,
        deny: body.deny,
    };
    Ok(Json(app.rpc.call(ctx, &request).await?))
}

async fn delete(
    app: &AppState,
    ctx: &CallerContext,
    community_id: Uuid,
    target: OverwriteTarget,
    subject: OverwriteSubject,
) -> ApiResult<StatusCode> {
    let request = DeleteOverwriteRequest {
        community_id,
        target,
        subject,
    };
    app.rpc.call(ctx, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The overwrites set on a group.
#[utoipa::path(get, path = "/communities/{community_id}/groups/{group_id}/overwrites", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("group_id" = Uuid, Path, description = "The group")),
    responses((status = 200, description = "The group's overwrites", body = OverwriteList),
        (status = "4XX", description = "Not authenticated, not allowed or no such group", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn list_group_overwrites(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, group_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<OverwriteList>> {
    list(&app, &ctx, community_id, OverwriteTarget::Group(group_id)).await
}

/// Creates or replaces the overwrite of a role or member on a group.
#[utoipa::path(put, path = "/communities/{community_id}/groups/{group_id}/overwrites/{subject_kind}/{subject_id}", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("group_id" = Uuid, Path, description = "The group"),
        ("subject_kind" = inline(SubjectKind), Path, description = "`role` or `member`"),
        ("subject_id" = Uuid, Path, description = "The role id (the community id for `@everyone`) or user id")),
    request_body = OverwriteBody,
    responses((status = 200, description = "The overwrite", body = Overwrite),
        (status = "4XX", description = "Invalid input, not allowed or no such group, role or member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn set_group_overwrite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, group_id, kind, subject_id)): ApiPath<(Uuid, Uuid, SubjectKind, Uuid)>,
    ApiJson(body): ApiJson<OverwriteBody>,
) -> ApiResult<Json<Overwrite>> {
    let target = OverwriteTarget::Group(group_id);
    set(
        &app,
        &ctx,
        community_id,
        target,
        kind.subject(subject_id),
        body,
    )
    .await
}

/// Removes the overwrite of a role or member on a group.
#[utoipa::path(delete, path = "/communities/{community_id}/groups/{group_id}/overwrites/{subject_kind}/{subject_id}", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("group_id" = Uuid, Path, description = "The group"),
        ("subject_kind" = inline(SubjectKind), Path, description = "`role` or `member`"),
        ("subject_id" = Uuid, Path, description = "The role id (the community id for `@everyone`) or user id")),
    responses((status = 204, description = "Overwrite removed"),
        (status = "4XX", description = "Not authenticated, not allowed or no such overwrite", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn delete_group_overwrite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, group_id, kind, subject_id)): ApiPath<(Uuid, Uuid, SubjectKind, Uuid)>,
) -> ApiResult<StatusCode> {
    let target = OverwriteTarget::Group(group_id);
    delete(&app, &ctx, community_id, target, kind.subject(subject_id)).await
}

/// The overwrites set on a channel.
#[utoipa::path(get, path = "/communities/{community_id}/channels/{channel_id}/overwrites", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("channel_id" = Uuid, Path, description = "The channel")),
    responses((status = 200, description = "The channel's overwrites", body = OverwriteList),
        (status = "4XX", description = "Not authenticated, not allowed or no such channel", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn list_channel_overwrites(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, channel_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<OverwriteList>> {
    list(
        &app,
        &ctx,
        community_id,
        OverwriteTarget::Channel(channel_id),
    )
    .await
}

/// Creates or replaces the overwrite of a role or member on a channel.
#[utoipa::path(put, path = "/communities/{community_id}/channels/{channel_id}/overwrites/{subject_kind}/{subject_id}", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("channel_id" = Uuid, Path, description = "The channel"),
        ("subject_kind" = inline(SubjectKind), Path, description = "`role` or `member`"),
        ("subject_id" = Uuid, Path, description = "The role id (the community id for `@everyone`) or user id")),
    request_body = OverwriteBody,
    responses((status = 200, description = "The overwrite", body = Overwrite),
        (status = "4XX", description = "Invalid input, not allowed or no such channel, role or member", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn set_channel_overwrite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, channel_id, kind, subject_id)): ApiPath<(Uuid, Uuid, SubjectKind, Uuid)>,
    ApiJson(body): ApiJson<OverwriteBody>,
) -> ApiResult<Json<Overwrite>> {
    let target = OverwriteTarget::Channel(channel_id);
    set(
        &app,
        &ctx,
        community_id,
        target,
        kind.subject(subject_id),
        body,
    )
    .await
}

/// Removes the overwrite of a role or member on a channel.
#[utoipa::path(delete, path = "/communities/{community_id}/channels/{channel_id}/overwrites/{subject_kind}/{subject_id}", tag = "roles", security(("bearer" = [])),
    params(("community_id" = Uuid, Path, description = "The community"),
        ("channel_id" = Uuid, Path, description = "The channel"),
        ("subject_kind" = inline(SubjectKind), Path, description = "`role` or `member`"),
        ("subject_id" = Uuid, Path, description = "The role id (the community id for `@everyone`) or user id")),
    responses((status = 204, description = "Overwrite removed"),
        (status = "4XX", description = "Not authenticated, not allowed or no such overwrite", body = ApiError),
        (status = 503, description = "The community service is unavailable", body = ApiError)))]
pub async fn delete_channel_overwrite(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiPath((community_id, channel_id, kind, subject_id)): ApiPath<(Uuid, Uuid, SubjectKind, Uuid)>,
) -> ApiResult<StatusCode> {
    let target = OverwriteTarget::Channel(channel_id);
    delete(&app, &ctx, community_id, target, kind.subject(subject_id)).await
}
