//! Storing checked messages with group commit ([`crate::group_commit`]): the sends waiting on a
//! channel are written in one transaction, so a busy channel pays one commit (one fsync) for
//! many messages. Within the batch, messages get increasing ids in arrival order under the
//! channel's lock ([`messages::lock_channel_head`]); each is announced after the commit with the
//! id before it, and only then acknowledged. A draft whose attachments cannot be linked fails
//! alone (a savepoint); any other failure fails the whole batch, and nothing of it is stored.

use super::{
    access::ChannelGrant,
    assemble::{assemble, for_everyone},
};
use crate::{
    domain::{MessageBody, Nonce, ParsedMentions},
    group_commit::GroupCommit,
    notify,
    repository::{
        attachments::{self, LinkTarget},
        mentions,
        messages::{self, NewMessage, StoredMessage},
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError,
    contracts::messages::{ForwardedFrom, Message},
    db::OrInternal,
};
use prometheus::{Histogram, register_histogram};
use sqlx::PgConnection;
use std::{sync::LazyLock, time::Duration};
use uuid::Uuid;

/// The sends of every channel, batched per channel.
pub type ChannelSends = GroupCommit<Draft, Result<Stored, ApiError>>;

/// At most this many messages in one transaction: a batch holds the channel's lock while its
/// inserts run, so an unbounded one would delay the next sends.
const MAX_BATCH: usize = 128;

/// A quiet channel's writer ends after this long.
const WRITER_IDLE: Duration = Duration::from_secs(10);

static BATCH_SIZE: LazyLock<Option<Histogram>> = LazyLock::new(|| {
    register_histogram!(
        "chatalot_message_send_batch_size",
        "Channel messages stored per transaction (group commit)",
        vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
    )
    .ok()
});

pub fn channel_sends() -> ChannelSends {
    GroupCommit::new(MAX_BATCH, WRITER_IDLE)
}

/// A checked message about to be stored.
pub struct Draft {
    pub grant: ChannelGrant,
    pub nonce: Nonce,
    pub body: MessageBody,
    pub reply_to: Option<Uuid>,
    pub thread_root_id: Option<Uuid>,
    pub forwarded_from: Option<ForwardedFrom>,
    pub attachment_ids: Vec<Uuid>,
    pub mentions: ParsedMentions,
}

/// What became of a draft.
pub enum Stored {
    /// Stored, announced, and as the author sees it.
    New(Box<Message>),
    /// The author already used the nonce: that message is the answer (it has committed).
    Duplicate,
}

/// Stores the draft in its channel's next batch and waits until that batch has committed and
/// been announced.
pub async fn store(state: &AppState, draft: Draft) -> Result<Stored, ApiError> {
    let writer_state = state.clone();
    let channel_id = draft.grant.channel_id;
    let write = move |channel_id, drafts| write_batch(writer_state.clone(), channel_id, drafts);
    state
        .sends
        .submit(channel_id, draft, write)
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::internal(anyhow::anyhow!(
                "the channel's writer stopped before answering"
            )))
        })
}

/// One transaction for the batch, then an announcement per new message in order.
async fn write_batch(
    state: AppState,
    channel_id: Uuid,
    drafts: Vec<Draft>,
) -> Vec<Result<Stored, ApiError>> {
    if let Some(histogram) = BATCH_SIZE.as_ref() {
        histogram.observe(drafts.len() as f64);
    }
    let written = async {
        let mut tx = state.begin().await?;
        let previous = messages::lock_channel_head(&mut tx, channel_id).await?;
        let (outcomes, rows) = insert_all(&mut tx, channel_id, previous, &drafts).await?;
        let mut messages = assemble(&mut tx, rows, None).await?.into_iter();
        tx.commit().await.or_internal("committing messages")?;
        let mut before = previous;
        let mut results = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            results.push(match outcome {
                Outcome::Inserted => {
                    let message = messages.next().ok_or_else(|| {
                        ApiError::internal(anyhow::anyhow!("an assembled message went missing"))
                    })?;
                    notify::message_created(&state, &for_everyone(message.clone()), before).await;
                    before = Some(message.message_id);
                    Ok(Stored::New(Box::new(message)))
                }
                Outcome::Duplicate => Ok(Stored::Duplicate),
                Outcome::Refused(err) => Err(err),
            });
        }
        Ok::<_, ApiError>(results)
    };
    match written.await {
        Ok(results) => results,
        Err(err) => drafts.iter().map(|_| Err(err.clone())).collect(),
    }
}

/// What the transaction did with one draft.
enum Outcome {
    Inserted,
    Duplicate,
    Refused(ApiError),
}

/// Inserts the drafts in order with ids after `previous`; returns each draft's outcome and the
/// inserted rows in the same order.
async fn insert_all(
    conn: &mut PgConnection,
    channel_id: Uuid,
    mut previous: Option<Uuid>,
    drafts: &[Draft],
) -> Result<(Vec<Outcome>, Vec<StoredMessage>), ApiError> {
    let mut outcomes = Vec::with_capacity(drafts.len());
    let mut rows = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let message_id = messages::next_message_id(previous);
        let new = NewMessage {
            message_id,
            channel_id,
            community_id: draft.grant.community_id,
            author_id: draft.grant.user_id,
            nonce: &draft.nonce,
            body: &draft.body,
            reply_to: draft.reply_to,
            thread_root_id: draft.thread_root_id,
            forwarded_from: draft.forwarded_from,
        };
        let guarded = !draft.attachment_ids.is_empty();
        if guarded {
            execute(conn, "savepoint draft").await?;
        }
        let inserted = messages::insert(conn, &new).await?;
        let linked = match &inserted {
            Some(_) => {
                let target = LinkTarget::Channel {
                    channel_id,
                    message_id,
                };
                attachments::link(conn, &draft.attachment_ids, draft.grant.user_id, target)
                    .await
                    .map(drop)
            }
            None => Ok(()),
        };
        if guarded {
            let end = match linked {
                Ok(()) => "release savepoint draft",
                Err(_) => "rollback to savepoint draft",
            };
            execute(conn, end).await?;
        }
        match (inserted, linked) {
            (_, Err(err)) => outcomes.push(Outcome::Refused(err)),
            (None, Ok(())) => outcomes.push(Outcome::Duplicate),
            (Some(stored), Ok(())) => {
                mentions::record(conn, &stored, &draft.mentions).await?;
                outcomes.push(Outcome::Inserted);
                rows.push(stored);
                previous = Some(message_id);
            }
        }
    }
    Ok((outcomes, rows))
}

/// A savepoint statement.
async fn execute(conn: &mut PgConnection, statement: &'static str) -> Result<(), ApiError> {
    sqlx::query(statement)
        .execute(conn)
        .await
        .map(drop)
        .or_internal("managing a draft's savepoint")
}
