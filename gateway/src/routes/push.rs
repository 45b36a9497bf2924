//! Web Push: the VAPID public key browsers subscribe with, and the caller's push subscriptions.
//! message-svc owns both (and the private key); it pushes conversation-message metadata to
//! users with no live connection (`docs/push.md`).

use crate::{
    error::HttpError,
    extract::{ApiJson, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chatalot_shared::{
    contracts::{Empty, push::*},
    error::ApiError,
};

type ApiResult<T> = Result<T, HttpError>;

/// Whether this server sends Web Push and, if so, the key to pass as `applicationServerKey` to
/// `pushManager.subscribe`. Without a configured key: `{"enabled": false}`.
#[utoipa::path(get, path = "/push/vapid-public-key", tag = "push", security(("bearer" = [])),
    responses((status = 200, description = "Whether push is on, and the VAPID public key (base64url)", body = VapidPublicKey),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn get_vapid_public_key(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<VapidPublicKey>> {
    Ok(Json(
        app.rpc.call(&ctx, &GetVapidPublicKeyRequest {}).await?,
    ))
}

/// Registers the caller's browser for push: the body is `PushSubscription.toJSON()`. Again for
/// a known endpoint: its keys are updated (200). An endpoint belongs to the user who registered
/// it last; each user keeps at most `push.max_subscriptions_per_user` (the oldest goes).
#[utoipa::path(post, path = "/push/subscriptions", tag = "push", security(("bearer" = [])),
    request_body = SubscribePushRequest,
    responses((status = 201, description = "Registered", body = PushSubscription),
        (status = 200, description = "Registered already; keys updated", body = PushSubscription),
        (status = 400, description = "`invalid_push_endpoint` (not an https:// push service URL) or `invalid_push_keys` (p256dh not a 65-byte P-256 point, auth not 16 bytes, not base64url)", body = ApiError),
        (status = 404, description = "`push_disabled`: the server has no VAPID key", body = ApiError),
        (status = "4XX", description = "Not authenticated, or a body of the wrong shape", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn subscribe_push(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<SubscribePushRequest>,
) -> ApiResult<(StatusCode, Json<PushSubscription>)> {
    let subscribed = app.rpc.call(&ctx, &body).await?;
    let status = if subscribed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(subscribed.subscription)))
}

/// The caller's subscriptions, most recently registered first (keys are not returned).
#[utoipa::path(get, path = "/push/subscriptions", tag = "push", security(("bearer" = [])),
    responses((status = 200, description = "The caller's subscriptions", body = PushSubscriptionList),
        (status = "4XX", description = "Not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn list_push_subscriptions(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
) -> ApiResult<Json<PushSubscriptionList>> {
    Ok(Json(
        app.rpc.call(&ctx, &ListPushSubscriptionsRequest {}).await?,
    ))
}

/// Deletes one of the caller's subscriptions, named by its endpoint (after
/// `PushSubscription.unsubscribe()`, or on logout).
#[utoipa::path(delete, path = "/push/subscriptions", tag = "push", security(("bearer" = [])),
    request_body = UnsubscribePushRequest,
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`: the caller has no subscription with this endpoint", body = ApiError),
        (status = "4XX", description = "Not authenticated, or a body of the wrong shape", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn unsubscribe_push(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiJson(body): ApiJson<UnsubscribePushRequest>,
) -> ApiResult<StatusCode> {
    let _: Empty = app.rpc.call(&ctx, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
