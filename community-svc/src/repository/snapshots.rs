//! Loading [`Snapshot`]s: five queries for any number of communities (communities, roles,
//! groups, channels, overwrites), so a view or a batch of views costs a bounded number of round
//! trips whatever the size of the communities.

use super::{channels, communities, groups, overwrites, roles};
use crate::views::Snapshot;
use chatalot_shared::{
    ApiError,
    contracts::community::{Channel, Group, Overwrite, Role},
};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// The snapshot of one community, if it exists.
pub async fn load(
    conn: &mut PgConnection,
    community_id: Uuid,
) -> Result<Option<Snapshot>, ApiError> {
    Ok(load_many(conn, &[community_id]).await?.into_iter().next())
}

/// The snapshots of the communities among `community_ids` that exist, in the order given.
pub async fn load_many(
    conn: &mut PgConnection,
    community_ids: &[Uuid],
) -> Result<Vec<Snapshot>, ApiError> {
    if community_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: HashMap<Uuid, _> = communities::find_many(conn, community_ids)
        .await?
        .into_iter()
        .map(|c| (c.community_id, c))
        .collect();
    let mut roles = by_community(roles::list_many(conn, community_ids).await?, |r: &Role| {
        r.community_id
    });
    let mut groups = by_community(
        groups::list_many(conn, community_ids).await?,
        |g: &Group| g.community_id,
    );
    let mut channels = by_community(
        channels::list_many(conn, community_ids).await?,
        |c: &Channel| c.community_id,
    );
    let mut overwrites = by_community(
        overwrites::list_many(conn, community_ids).await?,
        |o: &Overwrite| o.community_id,
    );
    Ok(community_ids
        .iter()
        .filter_map(|id| {
            let community = found.remove(id)?;
            Some(Snapshot::new(
                community,
                roles.remove(id).unwrap_or_default(),
                groups.remove(id).unwrap_or_default(),
                channels.remove(id).unwrap_or_default(),
                overwrites.remove(id).unwrap_or_default(),
            ))
        })
        .collect())
}

/// Splits `items` by community, keeping their order.
fn by_community<T>(items: Vec<T>, community_id: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for item in items {
        map.entry(community_id(&item)).or_default().push(item);
    }
    map
}
