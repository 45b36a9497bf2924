//! The audit log: security events, written in the same transaction as the change they record,
//! so an entry exists exactly when the change does.

use super::{OrInternal, enums};
use chatalot_shared::{
    ApiError,
    contracts::auth::{AuditAction, AuditEntry},
    rpc::CallerContext,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// An entry to record. Start with [`NewEntry::new`], which takes IP and user agent from the
/// request, then say who did it to whom.
#[derive(Debug, Clone)]
pub struct NewEntry {
    action: AuditAction,
    actor_id: Option<Uuid>,
    target_id: Option<Uuid>,
    ip: Option<String>,
    user_agent: Option<String>,
    details: serde_json::Value,
}

impl NewEntry {
    pub fn new(action: AuditAction, ctx: &CallerContext) -> Self {
        Self {
            action,
            actor_id: None,
            target_id: None,
            ip: ctx.client_ip.clone(),
            user_agent: ctx.user_agent.clone(),
            details: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    pub fn actor(mut self, actor_id: Uuid) -> Self {
        self.actor_id = Some(actor_id);
        self
    }

    pub fn target(mut self, target_id: Uuid) -> Self {
        self.target_id = Some(target_id);
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

pub async fn record(conn: &mut PgConnection, entry: NewEntry) -> Result<(), ApiError> {
    sqlx::query(
        "insert into audit_log (entry_id, action, actor_id, target_id, ip, user_agent, details) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(enums::action_name(entry.action))
    .bind(entry.actor_id)
    .bind(entry.target_id)
    .bind(entry.ip)
    .bind(entry.user_agent)
    .bind(entry.details)
    .execute(conn)
    .await
    .or_internal("writing the audit log")?;
    Ok(())
}

/// Which entries a query returns; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<AuditAction>,
    pub actor_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    /// Only entries older than this one (entry ids are UUIDv7, so time ordered).
    pub before: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    entry_id: Uuid,
    action: String,
    actor_id: Option<Uuid>,
    target_id: Option<Uuid>,
    ip: Option<String>,
    user_agent: Option<String>,
    details: serde_json::Value,
    created_at: DateTime<Utc>,
}

/// Entries matching `filter`, newest first. Only the filters given become SQL conditions, so
/// each query can use the index of its filter.
pub async fn query(
    conn: &mut PgConnection,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<AuditEntry>, ApiError> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "select entry_id, action, actor_id, target_id, ip, user_agent, details, created_at from audit_log where true",
    );
    if let Some(action) = filter.action {
        sql.push(" and action = ")
            .push_bind(enums::action_name(action));
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
        .or_internal("querying the audit log")?;
    rows.into_iter()
        .map(|row| {
            Ok(AuditEntry {
                entry_id: row.entry_id,
                action: enums::parse_action(&row.action)?,
                actor_id: row.actor_id,
                target_id: row.target_id,
                ip: row.ip,
                user_agent: row.user_agent,
                details: row.details,
                created_at: row.created_at,
            })
        })
        .collect()
}
