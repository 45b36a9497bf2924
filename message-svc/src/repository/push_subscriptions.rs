//! Web Push subscriptions: each user's browsers' endpoints and keys, and how their last pushes
//! went.

use crate::domain::push::Subscription;
use chatalot_shared::{ApiError, contracts::push::PushSubscription, db::OrInternal};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct Row {
    endpoint: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_success_at: Option<DateTime<Utc>>,
    last_failure_at: Option<DateTime<Utc>>,
    created: bool,
}

impl Row {
    fn into_subscription(self) -> PushSubscription {
        PushSubscription {
            endpoint: self.endpoint,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_success_at: self.last_success_at,
            last_failure_at: self.last_failure_at,
        }
    }
}

/// Where a push goes: one subscription with its keys.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Target {
    pub user_id: Uuid,
    pub endpoint: String,
    pub p256dh: Vec<u8>,
    pub auth: Vec<u8>,
}

/// Registers (or re-registers) `subscription` for `user_id`, taking the endpoint from whoever
/// held it, then keeps the user's `max` most recently registered subscriptions. Returns it and
/// whether it is new for this user.
pub async fn upsert(
    conn: &mut PgConnection,
    user_id: Uuid,
    subscription: &Subscription,
    max: u32,
) -> Result<(PushSubscription, bool), ApiError> {
    // Serialises a user's registrations, so the bound below holds under concurrent calls.
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text, 23))")
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .or_internal("locking a user's push subscriptions")?;
    sqlx::query("delete from push_subscriptions where endpoint = $1 and user_id <> $2")
        .bind(&subscription.endpoint)
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .or_internal("moving a push endpoint to its new user")?;
    // `xmax = 0` only for a row this statement inserted.
    let row = sqlx::query_as::<_, Row>(
        "insert into push_subscriptions (user_id, endpoint, p256dh, auth) \
         values ($1, $2, $3, $4) \
         on conflict (user_id, endpoint) do update \
           set p256dh = excluded.p256dh, auth = excluded.auth, updated_at = now() \
         returning endpoint, created_at, updated_at, last_success_at, last_failure_at, \
                   (xmax = 0) as created",
    )
    .bind(user_id)
    .bind(&subscription.endpoint)
    .bind(&subscription.p256dh)
    .bind(&subscription.auth)
    .fetch_one(&mut *conn)
    .await
    .or_internal("storing a push subscription")?;
    sqlx::query(
        "delete from push_subscriptions where user_id = $1 and endpoint in ( \
           select endpoint from push_subscriptions where user_id = $1 \
           order by updated_at desc, created_at desc offset $2)",
    )
    .bind(user_id)
    .bind(i64::from(max))
    .execute(&mut *conn)
    .await
    .or_internal("bounding a user's push subscriptions")?;
    let created = row.created;
    Ok((row.into_subscription(), created))
}

/// Deletes one of `user_id`'s subscriptions; whether it existed.
pub async fn delete(
    conn: &mut PgConnection,
    user_id: Uuid,
    endpoint: &str,
) -> Result<bool, ApiError> {
    let deleted =
        sqlx::query("delete from push_subscriptions where user_id = $1 and endpoint = $2")
            .bind(user_id)
            .bind(endpoint)
            .execute(conn)
            .await
            .or_internal("deleting a push subscription")?;
    Ok(deleted.rows_affected() > 0)
}

/// `user_id`'s subscriptions, most recently registered first.
pub async fn list(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<PushSubscription>, ApiError> {
    let rows = sqlx::query_as::<_, Row>(
        "select endpoint, created_at, updated_at, last_success_at, last_failure_at, \
                false as created \
         from push_subscriptions where user_id = $1 \
         order by updated_at desc, created_at desc",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
    .or_internal("listing push subscriptions")?;
    Ok(rows.into_iter().map(Row::into_subscription).collect())
}

/// Every subscription of `user_ids`.
pub async fn targets_of(
    conn: &mut PgConnection,
    user_ids: &[Uuid],
) -> Result<Vec<Target>, sqlx::Error> {
    sqlx::query_as::<_, Target>(
        "select user_id, endpoint, p256dh, auth from push_subscriptions \
         where user_id = any($1) order by user_id, endpoint",
    )
    .bind(user_ids)
    .fetch_all(conn)
    .await
}

/// Records how a message's pushes went, in one go: the delivered and the failed endpoints, and
/// deletes those their push service says are gone (404 or 410), unless registered again with
/// other keys since the push started.
pub async fn record_outcomes(
    conn: &mut PgConnection,
    delivered: &[String],
    failed: &[String],
    gone: &[(String, Vec<u8>)],
) -> Result<(), sqlx::Error> {
    if !delivered.is_empty() {
        sqlx::query(
            "update push_subscriptions set last_success_at = now() where endpoint = any($1)",
        )
        .bind(delivered)
        .execute(&mut *conn)
        .await?;
    }
    if !failed.is_empty() {
        sqlx::query(
            "update push_subscriptions set last_failure_at = now() where endpoint = any($1)",
        )
        .bind(failed)
        .execute(&mut *conn)
        .await?;
    }
    if !gone.is_empty() {
        let (endpoints, keys): (Vec<String>, Vec<Vec<u8>>) = gone.iter().cloned().unzip();
        sqlx::query(
            "delete from push_subscriptions s \
             using unnest($1::text[], $2::bytea[]) as g(endpoint, p256dh) \
             where s.endpoint = g.endpoint and s.p256dh = g.p256dh",
        )
        .bind(endpoints)
        .bind(keys)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
