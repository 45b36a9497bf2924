//! The community audit log: management and moderation actions, written in the same transaction
//! as the change they record, so an entry exists exactly when the change does.

use super::{OrInternal, enums};
use chatalot_shared::{
    ApiError,
    contracts::community::{CommunityAuditAction, CommunityAuditEntry},
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// An entry to record: start with [`NewEntry::new`], then say to whom, why and what changed.
#[derive(Debug, Clone)]
pub struct NewEntry {
    community_id: Uuid,
    action: CommunityAuditAction,
    actor_id: Uuid,
    target_id: Option<Uuid>,
    reason: Option<String>,
    details: serde_json::Value,
}

impl NewEntry {
    pub fn new(community_id: Uuid, action: CommunityAuditAction, actor_id: Uuid) -> Self {
        Self {
            community_id,
            action,
            actor_id,
            target_id: None,
            reason: None,
            details: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    pub fn target(mut self, target_id: Uuid) -> Self {
        self.target_id = Some(target_id);
        self
    }

    pub fn reason(mut self, reason: Option<&str>) -> Self {
        self.reason = reason.map(str::to_string);
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

pub async fn record(conn: &mut PgConnection, entry: NewEntry) -> Result<(), ApiError> {
    sqlx::query(
        "insert into audit_log (entry_id, community_id, action, actor_id, target_id, reason, \
         details) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(entry.community_id)
    .bind(enums::name(entry.action))
    .bind(entry.actor_id)
    .bind(entry.target_id)
    .bind(entry.reason)
    .bind(entry.details)
    .execute(conn)
    .await
    .or_internal("writing the community audit log")?;
    Ok(())
}

/// Which entries of a community a query returns; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<CommunityAuditAction>,
    pub actor_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    /// Only entries older than this one (entry ids are UUIDv7, so time ordered).
    pub before: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    entry_id: Uuid,
    community_id: Uuid,
    action: String,
    actor_id: Uuid,
    target_id: Option<Uuid>,
    reason: Option<String>,
    details: serde_json::Value,
    created_at: DateTime<Utc>,
}

/// Entries matching `filter`, newest first. Only the filters given become SQL conditions, so
/// each query can use the index of its filter.
pub async fn query(
    conn: &mut PgConnection,
    community_id: Uuid,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<CommunityAuditEntry>, ApiError> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "select entry_id, community_id, action, actor_id, target_id, reason, details, created_at \
         from audit_log where community_id = ",
    );
    sql.push_bind(community_id);
    if let Some(action) = filter.action {
        sql.push(" and action = ").push_bind(enums::name(action));
    }
    if let Some(actor_id) = filter.actor_id {
        sql.push(" and actor_id = ").push_bind(actor_id);
    }
    if let Some(target_id) = filter.target_id {
        sql.push(" and target_id = ").push_bind(target_id);
    }
    if let Some(before) = filter.before {
        sql.push(" and entry_id < ").push_bind(before);
    }
    sql.push(" order by entry_id desc limit ").push_bind(limit);
    let rows: Vec<EntryRow> = sql
        .build_query_as()
        .fetch_all(conn)
        .await
        .or_internal("querying the community audit log")?;
    rows.into_iter()
        .map(|row| {
            Ok(CommunityAuditEntry {
                action: enums::parse("audit action", &row.action)?,
                entry_id: row.entry_id,
                community_id: row.community_id,
                actor_id: row.actor_id,
                target_id: row.target_id,
                reason: row.reason,
                details: row.details,
                created_at: row.created_at,
            })
        })
        .collect()
}
