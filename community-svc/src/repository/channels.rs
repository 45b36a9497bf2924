//! Channels. Positions are distinct per group (checked at commit) and kept compact by
//! [`renumber`].

use super::{OrInternal, count, enums};
use crate::domain::{ChannelName, SlowMode, Topic, VoiceCap};
use chatalot_shared::{
    ApiError,
    contracts::community::{Channel, ChannelKind, GroupVisibility},
};
use sqlx::PgConnection;
use uuid::Uuid;

macro_rules! columns {
    () => {
        "channels.channel_id, channels.community_id, channels.group_id, channels.name, \
         channels.kind, channels.topic, channels.position, channels.read_only, \
         channels.archived, channels.slow_mode_secs, channels.voice_cap"
    };
}

#[derive(sqlx::FromRow)]
struct ChannelRow {
    channel_id: Uuid,
    community_id: Uuid,
    group_id: Uuid,
    name: String,
    kind: String,
    topic: String,
    position: i32,
    read_only: bool,
    archived: bool,
    slow_mode_secs: i32,
    voice_cap: Option<i32>,
}

impl TryFrom<ChannelRow> for Channel {
    type Error = ApiError;

    fn try_from(row: ChannelRow) -> Result<Self, ApiError> {
        Ok(Channel {
            kind: enums::parse("channel kind", &row.kind)?,
            channel_id: row.channel_id,
            community_id: row.community_id,
            group_id: row.group_id,
            name: row.name,
            topic: row.topic,
            position: row.position,
            read_only: row.read_only,
            archived: row.archived,
            slow_mode_secs: count(row.slow_mode_secs),
            voice_cap: row.voice_cap.map(count),
        })
    }
}

fn convert(rows: Vec<ChannelRow>) -> Result<Vec<Channel>, ApiError> {
    rows.into_iter().map(Channel::try_from).collect()
}

/// The channels of several communities, by community, group position and channel position.
pub async fn list_many(
    conn: &mut PgConnection,
    community_ids: &[Uuid],
) -> Result<Vec<Channel>, ApiError> {
    let rows = sqlx::query_as::<_, ChannelRow>(concat!(
        "select ",
        columns!(),
        " from channels join groups g on g.group_id = channels.group_id \
         where channels.community_id = any($1) \
         order by channels.community_id, g.position, channels.position"
    ))
    .bind(community_ids)
    .fetch_all(conn)
    .await
    .or_internal("listing channels")?;
    convert(rows)
}

/// The channels of one group, in order.
pub async fn list_in_group(
    conn: &mut PgConnection,
    group_id: Uuid,
) -> Result<Vec<Channel>, ApiError> {
    let rows = sqlx::query_as::<_, ChannelRow>(concat!(
        "select ",
        columns!(),
        " from channels where group_id = $1 order by position"
    ))
    .bind(group_id)
    .fetch_all(conn)
    .await
    .or_internal("listing a group's channels")?;
    convert(rows)
}

/// The channel, if it is in `community_id` (a channel of another community is not found).
pub async fn find(
    conn: &mut PgConnection,
    community_id: Uuid,
    channel_id: Uuid,
) -> Result<Option<Channel>, ApiError> {
    sqlx::query_as::<_, ChannelRow>(concat!(
        "select ",
        columns!(),
        " from channels where channel_id = $1 and community_id = $2"
    ))
    .bind(channel_id)
    .bind(community_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a channel")?
    .map(Channel::try_from)
    .transpose()
}

/// A channel with what a permission answer needs about its surroundings.
pub struct PlacedChannel {
    pub channel: Channel,
    pub group_visibility: GroupVisibility,
    pub owner_id: Uuid,
}

#[derive(sqlx::FromRow)]
struct PlacedRow {
    #[sqlx(flatten)]
    channel: ChannelRow,
    group_visibility: String,
    owner_id: Uuid,
}

/// The channel with its group's visibility and its community's owner, in one round trip.
pub async fn find_placed(
    conn: &mut PgConnection,
    channel_id: Uuid,
) -> Result<Option<PlacedChannel>, ApiError> {
    let row = sqlx::query_as::<_, PlacedRow>(concat!(
        "select ",
        columns!(),
        ", g.visibility as group_visibility, c.owner_id \
         from channels join groups g on g.group_id = channels.group_id \
         join communities c on c.community_id = channels.community_id \
         where channels.channel_id = $1"
    ))
    .bind(channel_id)
    .fetch_optional(conn)
    .await
    .or_internal("loading a channel for a permission answer")?;
    row.map(|row| {
        Ok(PlacedChannel {
            group_visibility: enums::parse("group visibility", &row.group_visibility)?,
            owner_id: row.owner_id,
            channel: row.channel.try_into()?,
        })
    })
    .transpose()
}

/// A new channel, added after the group's last one.
pub struct NewChannel<'a> {
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub name: &'a ChannelName,
    pub kind: ChannelKind,
    pub topic: Option<&'a Topic>,
    pub read_only: bool,
    pub slow_mode: SlowMode,
    pub voice_cap: Option<VoiceCap>,
}

pub async fn insert(conn: &mut PgConnection, new: NewChannel<'_>) -> Result<Channel, ApiError> {
    sqlx::query_as::<_, ChannelRow>(concat!(
        "insert into channels (channel_id, community_id, group_id, name, kind, topic, position, \
         read_only, slow_mode_secs, voice_cap) \
         values ($1, $2, $3, $4, $5, $6, \
         (select coalesce(max(position) + 1, 0) from channels where group_id = $3), \
         $7, $8, $9) returning ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(new.community_id)
    .bind(new.group_id)
    .bind(new.name.as_str())
    .bind(enums::name(new.kind))
    .bind(new.topic.map_or("", Topic::as_str))
    .bind(new.read_only)
    .bind(new.slow_mode.get())
    .bind(new.voice_cap.map(VoiceCap::get))
    .fetch_one(conn)
    .await
    .or_internal("inserting a channel")?
    .try_into()
}

/// The settings an update changes; `None` leaves a field as it is. Moves are separate
/// ([`move_to_group`] and [`renumber`]).
#[derive(Debug, Default)]
pub struct Changes {
    pub name: Option<ChannelName>,
    pub topic: Option<Topic>,
    pub read_only: Option<bool>,
    pub archived: Option<bool>,
    pub slow_mode: Option<SlowMode>,
    pub voice_cap: Option<VoiceCap>,
}

pub async fn update(
    conn: &mut PgConnection,
    channel_id: Uuid,
    changes: &Changes,
) -> Result<Channel, ApiError> {
    sqlx::query_as::<_, ChannelRow>(concat!(
        "update channels set name = coalesce($2, name), topic = coalesce($3, topic), \
         read_only = coalesce($4, read_only), archived = coalesce($5, archived), \
         slow_mode_secs = coalesce($6, slow_mode_secs), voice_cap = coalesce($7, voice_cap) \
         where channel_id = $1 returning ",
        columns!()
    ))
    .bind(channel_id)
    .bind(changes.name.as_ref().map(ChannelName::as_str))
    .bind(changes.topic.as_ref().map(Topic::as_str))
    .bind(changes.read_only)
    .bind(changes.archived)
    .bind(changes.slow_mode.map(SlowMode::get))
    .bind(changes.voice_cap.map(VoiceCap::get))
    .fetch_one(conn)
    .await
    .or_internal("updating a channel")?
    .try_into()
}

/// Puts the channel in another group of its community (its position is set by [`renumber`]
/// before the transaction commits).
pub async fn move_to_group(
    conn: &mut PgConnection,
    channel_id: Uuid,
    group_id: Uuid,
) -> Result<(), ApiError> {
    sqlx::query("update channels set group_id = $2 where channel_id = $1")
        .bind(channel_id)
        .bind(group_id)
        .execute(conn)
        .await
        .or_internal("moving a channel")?;
    Ok(())
}

pub async fn delete(conn: &mut PgConnection, channel_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("delete from channels where channel_id = $1")
        .bind(channel_id)
        .execute(conn)
        .await
        .or_internal("deleting a channel")?;
    Ok(())
}

/// Gives the channels of `order` (all in `group_id`) the positions 0, 1, 2, ...; returns the
/// channels that moved.
pub async fn renumber(
    conn: &mut PgConnection,
    group_id: Uuid,
    order: &[Uuid],
) -> Result<Vec<Channel>, ApiError> {
    let rows = sqlx::query_as::<_, ChannelRow>(concat!(
        "update channels set position = (o.n - 1)::integer \
         from unnest($2::uuid[]) with ordinality as o(channel_id, n) \
         where channels.group_id = $1 and channels.channel_id = o.channel_id \
         and channels.position <> o.n - 1 returning ",
        columns!()
    ))
    .bind(group_id)
    .bind(order)
    .fetch_all(conn)
    .await
    .or_internal("renumbering channels")?;
    convert(rows)
}
