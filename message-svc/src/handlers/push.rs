//! Web Push subscriptions: the VAPID public key browsers subscribe with, and each user's own
//! subscriptions (register, list, delete). Sending lives in `crate::push`.

use crate::{domain::push::Subscription, repository::push_subscriptions, state::AppState};
use chatalot_shared::{
    ApiError, ErrorCode,
    contracts::{
        Empty,
        push::{
            GetVapidPublicKeyRequest, ListPushSubscriptionsRequest, PushSubscribed,
            PushSubscriptionList, SubscribePushRequest, UnsubscribePushRequest, VapidPublicKey,
        },
    },
    db::OrInternal,
    rpc::{CallerContext, RpcRouter},
};

/// Adds this area's operations.
pub fn routes(router: RpcRouter<AppState>) -> RpcRouter<AppState> {
    router
        .route(get_vapid_public_key)
        .route(subscribe_push)
        .route(unsubscribe_push)
        .route(list_push_subscriptions)
}

/// Whether push is on and the key to subscribe with.
async fn get_vapid_public_key(
    state: AppState,
    ctx: CallerContext,
    _req: GetVapidPublicKeyRequest,
) -> Result<VapidPublicKey, ApiError> {
    ctx.require_caller()?;
    let public_key = state.push.public_key().map(str::to_string);
    Ok(VapidPublicKey {
        enabled: public_key.is_some(),
        public_key,
    })
}

/// Registers the caller's browser; the endpoint leaves any other user, and the caller keeps at
/// most `push.max_subscriptions_per_user` (the one registered longest ago goes).
async fn subscribe_push(
    state: AppState,
    ctx: CallerContext,
    req: SubscribePushRequest,
) -> Result<PushSubscribed, ApiError> {
    let caller = ctx.require_caller()?;
    if state.push.public_key().is_none() {
        return Err(ApiError::new(
            ErrorCode::PushDisabled,
            "web push is not configured on this server",
        ));
    }
    let subscription = Subscription::parse(req, state.push.allow_insecure_endpoints)?;
    let mut tx = state.begin().await?;
    let (subscription, created) = push_subscriptions::upsert(
        &mut tx,
        caller.user_id,
        &subscription,
        state.push.max_subscriptions_per_user,
    )
    .await?;
    tx.commit()
        .await
        .or_internal("committing a push subscription")?;
    Ok(PushSubscribed {
        subscription,
        created,
    })
}

/// Deletes one of the caller's subscriptions; someone else's endpoint is `not_found`.
async fn unsubscribe_push(
    state: AppState,
    ctx: CallerContext,
    req: UnsubscribePushRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    if push_subscriptions::delete(&mut conn, caller.user_id, &req.endpoint).await? {
        Ok(Empty {})
    } else {
        Err(ApiError::not_found("push subscription"))
    }
}

async fn list_push_subscriptions(
    state: AppState,
    ctx: CallerContext,
    _req: ListPushSubscriptionsRequest,
) -> Result<PushSubscriptionList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let subscriptions = push_subscriptions::list(&mut conn, caller.user_id).await?;
    Ok(PushSubscriptionList { subscriptions })
}
