//! Publishing a presence change: to each community of the user (every member's gateway
//! delivers it, unscoped), to each conversation partner, and to the user's own connections
//! (their copy carries what they chose). Someone who shares neither a community nor a
//! conversation with the user never hears of it. The event is the full current state, so a
//! partner who is also a co-member getting it twice, or a retry repeating it, is harmless (the
//! user also gets the copies of their communities, without `settings`).

use super::internal_context;
use chatalot_shared::{
    contracts::{
        conversations::ListConversationPartnersRequest,
        presence::{Presence, PresenceSettings, PresenceUpdated, UserCommunityIdsRequest},
    },
    events::{publish_to_community, publish_to_user},
    rpc::RpcClient,
    subjects::Subjects,
};

/// Publishes `presence` to everyone who may see it. Fails (after publishing what it could) when
/// the audience could not be fully worked out, so the caller retries.
pub async fn publish(
    rpc: &RpcClient,
    nats: &async_nats::Client,
    subjects: &Subjects,
    presence: &Presence,
    settings: Option<PresenceSettings>,
) -> anyhow::Result<()> {
    let user_id = presence.user_id;
    let ctx = internal_context("presence-fanout");
    let communities_request = UserCommunityIdsRequest { user_id };
    let partners_request = ListConversationPartnersRequest { user_id };
    let (communities, partners) = tokio::join!(
        rpc.call(&ctx, &communities_request),
        rpc.call(&ctx, &partners_request),
    );
    // The user's own copy first: it alone carries their settings.
    let own = PresenceUpdated {
        presence: presence.clone(),
        settings,
    };
    publish_to_user(nats, subjects, user_id, &own).await;
    let event = PresenceUpdated {
        presence: presence.clone(),
        settings: None,
    };
    if let Ok(communities) = &communities {
        for community_id in &communities.community_ids {
            publish_to_community(
                nats,
                subjects,
                *community_id,
                async_nats::HeaderMap::new(),
                &event,
            )
            .await;
        }
    }
    if let Ok(partners) = &partners {
        for partner in partners.user_ids.iter().filter(|id| **id != user_id) {
            publish_to_user(nats, subjects, *partner, &event).await;
        }
    }
    match (communities, partners) {
        (Ok(_), Ok(_)) => Ok(()),
        (Err(err), _) | (_, Err(err)) => Err(anyhow::anyhow!(
            "the audience of a presence change is incomplete: {err}"
        )),
    }
}
