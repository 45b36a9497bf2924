//! Notification levels: the caller's choice per text channel (which they must be able to see,
//! asked like reading its messages) and per conversation (which they must be a member of). A
//! change goes to the caller's own subject, so their other devices follow without reloading.

use super::{channel_messages::access, conversations::conversation_not_found};
use crate::{
    repository::{conversations, notification_levels},
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        notifications::{
            DEFAULTS, GetNotificationLevelsRequest, NotificationLevelSetting,
            NotificationLevelUpdated, NotificationLevels, NotificationTarget,
            NotificationTargetKind, ResetNotificationLevelRequest, SetNotificationLevelRequest,
        },
    },
    events,
    rpc::{CallerContext, RpcRouter},
};
use uuid::Uuid;

/// Adds this area's operations.
pub fn routes(router: RpcRouter<AppState>) -> RpcRouter<AppState> {
    router
        .route(get_notification_levels)
        .route(set_notification_level)
        .route(reset_notification_level)
}

/// `not_found` unless `user_id` may see the place: the same answers as reading its messages
/// (a channel without `view_channel`, a conversation they are not a member of).
async fn check_access(
    state: &AppState,
    ctx: &CallerContext,
    user_id: Uuid,
    target: NotificationTarget,
) -> Result<(), ApiError> {
    match target.kind {
        NotificationTargetKind::Channel => {
            access::grant(state, ctx, user_id, target.id).await?;
        }
        NotificationTargetKind::Conversation => {
            let mut conn = state.connection().await?;
            if !conversations::is_member(&mut conn, target.id, user_id).await? {
                return Err(conversation_not_found());
            }
        }
    }
    Ok(())
}

async fn get_notification_levels(
    state: AppState,
    ctx: CallerContext,
    _req: GetNotificationLevelsRequest,
) -> Result<NotificationLevels, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let mut levels = NotificationLevels {
        channels: Default::default(),
        conversations: Default::default(),
        defaults: DEFAULTS,
    };
    for (target, level) in notification_levels::of_user(&mut conn, caller.user_id).await? {
        let by_id = match target.kind {
            NotificationTargetKind::Channel => &mut levels.channels,
            NotificationTargetKind::Conversation => &mut levels.conversations,
        };
        by_id.insert(target.id, level);
    }
    Ok(levels)
}

async fn set_notification_level(
    state: AppState,
    ctx: CallerContext,
    req: SetNotificationLevelRequest,
) -> Result<NotificationLevelSetting, ApiError> {
    let caller = ctx.require_caller()?;
    check_access(&state, &ctx, caller.user_id, req.target).await?;
    {
        let mut conn = state.connection().await?;
        notification_levels::set(&mut conn, caller.user_id, req.target, req.level).await?;
    }
    let event = NotificationLevelUpdated {
        target: req.target,
        level: Some(req.level),
    };
    events::publish_to_user(&state.nats, &state.subjects, caller.user_id, &event).await;
    Ok(NotificationLevelSetting { level: req.level })
}

/// Back to the default; announced only when there was a choice to forget.
async fn reset_notification_level(
    state: AppState,
    ctx: CallerContext,
    req: ResetNotificationLevelRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    check_access(&state, &ctx, caller.user_id, req.target).await?;
    let forgotten = {
        let mut conn = state.connection().await?;
        notification_levels::reset(&mut conn, caller.user_id, req.target).await?
    };
    if forgotten {
        let event = NotificationLevelUpdated {
            target: req.target,
            level: None,
        };
        events::publish_to_user(&state.nats, &state.subjects, caller.user_id, &event).await;
    }
    Ok(Empty {})
}
