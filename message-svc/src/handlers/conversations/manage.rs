//! Starting, listing, renaming, extending and leaving conversations.

use super::{
    conversation_not_found,
    input::{GroupName, OtherMembers},
    notify,
};
use crate::{
    repository::{
        blocks,
        conversations::{self, NewConversation},
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::{
        Empty,
        community::SharedCommunityRequest,
        conversations::{
            AddConversationMembersRequest, Conversation, ConversationCreation, ConversationKind,
            ConversationList, CreateConversationRequest, GetConversationRequest,
            LeaveConversationRequest, ListConversationsRequest, MAX_CONVERSATION_MEMBERS,
            UpdateConversationRequest,
        },
    },
    db::OrInternal,
    rpc::CallerContext,
};
use sqlx::PgConnection;
use uuid::Uuid;

/// Refuses `others` when a block stands between any of them and `user_id` (either way).
async fn refuse_blocked(
    conn: &mut PgConnection,
    user_id: Uuid,
    others: &[Uuid],
) -> Result<(), ApiError> {
    if blocks::any_between(conn, user_id, others).await?.is_empty() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "you cannot start or share a conversation with a user you blocked or who blocked you",
        ))
    }
}

/// Refuses `others` unless each shares a community with `user_id` (community-svc answers).
async fn require_shared_community(
    state: &AppState,
    ctx: &CallerContext,
    user_id: Uuid,
    others: &[Uuid],
) -> Result<(), ApiError> {
    let request = SharedCommunityRequest {
        user_id,
        other_user_ids: others.to_vec(),
    };
    let answer = state.rpc.call(ctx, &request).await?;
    if others.iter().all(|id| answer.user_ids_sharing.contains(id)) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "you can only start conversations with people who share a community with you",
        ))
    }
}

/// Starts a direct conversation (one other person; the pair's existing one if any) or a group
/// (two to 24 others).
pub async fn create_conversation(
    state: AppState,
    ctx: CallerContext,
    req: CreateConversationRequest,
) -> Result<ConversationCreation, ApiError> {
    let caller = ctx.require_caller()?;
    let others = OtherMembers::parse(
        caller.user_id,
        &req.member_ids,
        MAX_CONVERSATION_MEMBERS - 1,
    )?;
    let name = req.name.as_deref().map(GroupName::parse).transpose()?;
    let direct_with = match others.ids() {
        [other] => Some(*other),
        _ => None,
    };
    if direct_with.is_some() && name.as_ref().is_some_and(|n| n.value().is_some()) {
        return Err(ApiError::invalid_request(
            "a direct conversation has no name; name groups of three or more",
        ));
    }
    {
        let mut conn = state.connection().await?;
        // Blocks first: a blocked pair is refused even when their conversation exists.
        refuse_blocked(&mut conn, caller.user_id, others.ids()).await?;
        if let Some(other) = direct_with
            && let Some(existing) =
                conversations::find_direct(&mut conn, caller.user_id, other).await?
        {
            return Ok(ConversationCreation {
                conversation: existing,
                created: false,
            });
        }
    }
    require_shared_community(&state, &ctx, caller.user_id, others.ids()).await?;

    let mut member_ids = vec![caller.user_id];
    member_ids.extend_from_slice(others.ids());
    let kind = if direct_with.is_some() {
        ConversationKind::Direct
    } else {
        ConversationKind::Group
    };
    let mut tx = state.begin().await?;
    let inserted = conversations::insert(
        &mut tx,
        NewConversation {
            conversation_id: Uuid::now_v7(),
            kind,
            name: name.as_ref().and_then(GroupName::value),
            created_by: caller.user_id,
            member_ids: &member_ids,
        },
    )
    .await?;
    let Some(conversation) = inserted else {
        // A concurrent create of the same pair won the race: answer with its conversation.
        drop(tx);
        let mut conn = state.connection().await?;
        let existing = match direct_with {
            Some(other) => conversations::find_direct(&mut conn, caller.user_id, other).await?,
            None => None,
        };
        return existing
            .map(|conversation| ConversationCreation {
                conversation,
                created: false,
            })
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a direct conversation vanished")));
    };
    tx.commit()
        .await
        .or_internal("committing a new conversation")?;
    notify::conversation_updated(&state, &conversation, &conversation.member_ids).await;
    Ok(ConversationCreation {
        conversation,
        created: true,
    })
}

/// The caller's conversations, most recent activity first.
pub async fn list_conversations(
    state: AppState,
    ctx: CallerContext,
    _req: ListConversationsRequest,
) -> Result<ConversationList, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    let conversations = conversations::list_for_user(&mut conn, caller.user_id).await?;
    Ok(ConversationList { conversations })
}

pub async fn get_conversation(
    state: AppState,
    ctx: CallerContext,
    req: GetConversationRequest,
) -> Result<Conversation, ApiError> {
    let caller = ctx.require_caller()?;
    let mut conn = state.connection().await?;
    conversations::find_for_member(&mut conn, req.conversation_id, caller.user_id)
        .await?
        .ok_or_else(conversation_not_found)
}

fn require_group(conversation: &Conversation, action: &str) -> Result<(), ApiError> {
    match conversation.kind {
        ConversationKind::Group => Ok(()),
        ConversationKind::Direct => Err(ApiError::invalid_request(format!(
            "a direct conversation cannot {action}"
        ))),
    }
}

/// Renames a group (any member; an empty name clears it).
pub async fn update_conversation(
    state: AppState,
    ctx: CallerContext,
    req: UpdateConversationRequest,
) -> Result<Conversation, ApiError> {
    let caller = ctx.require_caller()?;
    let name = GroupName::parse(&req.name)?;
    let mut tx = state.begin().await?;
    let current = conversations::lock_for_member(&mut tx, req.conversation_id, caller.user_id)
        .await?
        .ok_or_else(conversation_not_found)?;
    require_group(&current, "be renamed")?;
    if current.name.as_deref() == name.value() {
        return Ok(current);
    }
    let conversation =
        conversations::rename(&mut tx, req.conversation_id, name.value(), caller.user_id)
            .await?
            .ok_or_else(conversation_not_found)?;
    tx.commit().await.or_internal("committing a rename")?;
    notify::conversation_updated(&state, &conversation, &conversation.member_ids).await;
    Ok(conversation)
}

/// Adds people to a group, up to the member cap. The same rules as starting one hold between
/// the caller and each newcomer (a shared community, no block either way).
pub async fn add_conversation_members(
    state: AppState,
    ctx: CallerContext,
    req: AddConversationMembersRequest,
) -> Result<Conversation, ApiError> {
    let caller = ctx.require_caller()?;
    OtherMembers::parse(
        caller.user_id,
        &req.member_ids,
        MAX_CONVERSATION_MEMBERS - 1,
    )?;
    let newcomers = {
        let mut conn = state.connection().await?;
        let current =
            conversations::find_for_member(&mut conn, req.conversation_id, caller.user_id)
                .await?
                .ok_or_else(conversation_not_found)?;
        require_group(&current, "take more members")?;
        let newcomers: Vec<Uuid> = req
            .member_ids
            .iter()
            .copied()
            .filter(|id| !current.member_ids.contains(id))
            .collect();
        if newcomers.is_empty() {
            return Ok(current);
        }
        let newcomers = OtherMembers::parse(
            caller.user_id,
            &newcomers,
            MAX_CONVERSATION_MEMBERS.saturating_sub(current.member_ids.len()),
        )?;
        refuse_blocked(&mut conn, caller.user_id, newcomers.ids()).await?;
        newcomers
    };
    require_shared_community(&state, &ctx, caller.user_id, newcomers.ids()).await?;

    let mut tx = state.begin().await?;
    // Checked again under the lock: others may have joined or the caller left meanwhile.
    let current = conversations::lock_for_member(&mut tx, req.conversation_id, caller.user_id)
        .await?
        .ok_or_else(conversation_not_found)?;
    let fresh: Vec<Uuid> = newcomers
        .ids()
        .iter()
        .copied()
        .filter(|id| !current.member_ids.contains(id))
        .collect();
    if fresh.is_empty() {
        return Ok(current);
    }
    if current.member_ids.len() + fresh.len() > MAX_CONVERSATION_MEMBERS {
        return Err(ApiError::invalid_request(format!(
            "a conversation has at most {MAX_CONVERSATION_MEMBERS} members"
        )));
    }
    conversations::add_members(&mut tx, req.conversation_id, &fresh).await?;
    let conversation = conversations::find_for_member(&mut tx, req.conversation_id, caller.user_id)
        .await?
        .ok_or_else(conversation_not_found)?;
    tx.commit().await.or_internal("committing new members")?;
    notify::conversation_updated(&state, &conversation, &conversation.member_ids).await;
    Ok(conversation)
}

/// Leaves a group. The others are told; the caller's other sessions drop it.
pub async fn leave_conversation(
    state: AppState,
    ctx: CallerContext,
    req: LeaveConversationRequest,
) -> Result<Empty, ApiError> {
    let caller = ctx.require_caller()?;
    let mut tx = state.begin().await?;
    let current = conversations::lock_for_member(&mut tx, req.conversation_id, caller.user_id)
        .await?
        .ok_or_else(conversation_not_found)?;
    require_group(&current, "be left (block the other user instead)")?;
    conversations::remove_member(&mut tx, req.conversation_id, caller.user_id).await?;
    tx.commit().await.or_internal("committing a departure")?;
    let remaining: Vec<Uuid> = current
        .member_ids
        .iter()
        .copied()
        .filter(|id| *id != caller.user_id)
        .collect();
    let conversation = Conversation {
        member_ids: remaining.clone(),
        ..current
    };
    notify::conversation_updated(&state, &conversation, &remaining).await;
    notify::conversation_left(&state, req.conversation_id, caller.user_id).await;
    Ok(Empty {})
}
