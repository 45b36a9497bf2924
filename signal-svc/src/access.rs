//! Who may see, join and speak in a call, asked of the services that own the places: for a voice
//! channel, community-svc's `channel_access` (the permissions there, a running timeout already
//! applied); for a conversation, message-svc's `get_conversation` as the user (members only).
//!
//! Anyone who cannot see the place gets `not_found`, whether it exists or not, so a stranger
//! cannot probe for calls or for who is in them.

use crate::{state::AppState, store::Entry};
use chatalot_shared::{
    ApiError,
    contracts::{
        calls::{CallId, MAX_CALL_PARTICIPANTS},
        community::{ChannelAccessRequest, ChannelKind},
        conversations::GetConversationRequest,
        permissions::Permission,
    },
    rpc::{Caller, CallerContext},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who hears about a call's participants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Everyone who sees the voice channel (the community subject, channel scope).
    Channel {
        community_id: Uuid,
        channel_id: Uuid,
    },
    /// These users (a conversation's members).
    Users(Vec<Uuid>),
}

/// A call's place as one user stands in it.
#[derive(Debug, Clone)]
pub struct Place {
    pub audience: Audience,
    pub community_id: Option<Uuid>,
    pub max_participants: u32,
    pub can_connect: bool,
    pub can_speak: bool,
    pub can_video: bool,
    /// Voice channels: archived ones take no new participants.
    pub archived: bool,
    pub timed_out_until: Option<DateTime<Utc>>,
}

pub fn call_not_found() -> ApiError {
    ApiError::not_found("call")
}

/// Where `user_id` stands in `call`. `ctx` must carry that user as the caller (conversation
/// membership is asked as them). `not_found` when they cannot see it; `invalid_request` for a
/// text channel.
pub async fn place(
    state: &AppState,
    ctx: &CallerContext,
    user_id: Uuid,
    call: CallId,
) -> Result<Place, ApiError> {
    let cap = state.config.max_participants.min(MAX_CALL_PARTICIPANTS);
    match call {
        CallId::Channel(channel_id) => {
            let access = state
                .rpc
                .call(
                    ctx,
                    &ChannelAccessRequest {
                        user_id,
                        channel_id,
                    },
                )
                .await?;
            let (Some(community_id), Some(kind)) = (access.community_id, access.kind) else {
                return Err(call_not_found());
            };
            if !access.permissions.contains(Permission::ViewChannel) {
                return Err(call_not_found());
            }
            if kind != ChannelKind::Voice {
                return Err(ApiError::invalid_request(
                    "this is a text channel; calls take place in voice channels",
                ));
            }
            // A running timeout already took speak and video away (docs/permissions.md, step
            // 8); checked again here because "timed out members cannot speak" must hold even
            // if that rule ever changes.
            let timed_out = access
                .timed_out_until
                .is_some_and(|until| until > Utc::now());
            Ok(Place {
                audience: Audience::Channel {
                    community_id,
                    channel_id,
                },
                community_id: Some(community_id),
                max_participants: access.voice_cap.map_or(cap, |v| v.clamp(1, cap)),
                can_connect: access.permissions.contains(Permission::Connect),
                can_speak: access.permissions.contains(Permission::Speak) && !timed_out,
                can_video: access.permissions.contains(Permission::Video) && !timed_out,
                archived: access.archived,
                timed_out_until: access.timed_out_until.filter(|_| timed_out),
            })
        }
        CallId::Conversation(conversation_id) => {
            let conversation = state
                .rpc
                .call(ctx, &GetConversationRequest { conversation_id })
                .await
                .map_err(|error| match error.code {
                    chatalot_shared::ErrorCode::NotFound => call_not_found(),
                    _ => error,
                })?;
            Ok(Place {
                audience: Audience::Users(conversation.member_ids),
                community_id: None,
                max_participants: cap,
                can_connect: true,
                can_speak: true,
                can_video: true,
                archived: false,
                timed_out_until: None,
            })
        }
    }
}

/// A context that asks other services as the participant `entry` (the sweeper and the event
/// follower act on behalf of nobody; services trust these headers, docs/architecture.md).
pub fn as_participant(entry: &Entry) -> CallerContext {
    CallerContext {
        request_id: Uuid::new_v4().to_string(),
        caller: Some(Caller {
            user_id: entry.user_id,
            session_id: entry.session_id,
        }),
        ..CallerContext::default()
    }
}

/// Who hears about `entry`'s call when no request is at hand. For a conversation whose member
/// list cannot be read as that participant (they left it), the remaining participants and the
/// participant themself.
pub async fn audience_of(state: &AppState, call: CallId, entry: &Entry) -> Audience {
    if let (CallId::Channel(channel_id), Some(community_id)) = (call, entry.community_id) {
        return Audience::Channel {
            community_id,
            channel_id,
        };
    }
    match place(state, &as_participant(entry), entry.user_id, call).await {
        Ok(place) => place.audience,
        Err(_) => {
            let mut users: Vec<Uuid> = state
                .store
                .participants(call)
                .await
                .unwrap_or_default()
                .iter()
                .map(|stored| stored.entry.user_id)
                .collect();
            if !users.contains(&entry.user_id) {
                users.push(entry.user_id);
            }
            Audience::Users(users)
        }
    }
}

/// The error for someone who is not a participant: `not_found` when they cannot see the call,
/// `forbidden` when they can.
pub async fn not_a_participant(
    state: &AppState,
    ctx: &CallerContext,
    user_id: Uuid,
    call: CallId,
) -> ApiError {
    match place(state, ctx, user_id, call).await {
        Ok(_) => ApiError::forbidden("you are not in this call"),
        Err(error) => error,
    }
}
