//! Gateway liveness in Redis: the contract between gateways and the services that keep state
//! per gateway (presence, call participants).
//!
//! Every gateway process has a random `instance_id` and keeps the key [`gateway_key`]
//! (`<redis.key_prefix>:gateway:<instance_id>`, any value) alive with a TTL of
//! `presence.gateway_ttl_secs`, refreshed at least every third of it and deleted on a clean
//! shutdown. After a Redis restart the key comes back by itself within one refresh. A missing
//! key therefore means the gateway is dead (or cannot reach Redis): whatever it held stops
//! counting. The gateway side lives in `gateway/src/presence/liveness.rs`.
//!
//! Each gateway also records its connections of a user in the hash [`connections_key_suffix`]
//! (`<gateway>:<connection>` fields, written by `gateway/src/presence/store.rs`); a field counts
//! only while its gateway is alive. [`connected_users`] answers "is this user connected anywhere"
//! from it, whatever status the user chose (an invisible user is connected).

use crate::cache::Cache;
use redis::Script;
use std::sync::LazyLock;
use uuid::Uuid;

/// For each connection hash in KEYS: 1 when one of its fields belongs to a live gateway.
static ANY_LIVE_CONNECTION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local live_prefix = ARGV[1]
local alive = {}
local answer = {}
for i, key in ipairs(KEYS) do
  answer[i] = 0
  for _, field in ipairs(redis.call('HKEYS', key)) do
    local gateway = string.match(field, '^([^:]+):')
    if gateway then
      local ok = alive[gateway]
      if ok == nil then
        ok = redis.call('EXISTS', live_prefix .. gateway) == 1
        alive[gateway] = ok
      end
      if ok then
        answer[i] = 1
        break
      end
    end
  end
end
return answer
"#,
    )
});

/// The liveness key of gateway `instance_id`.
pub fn gateway_key(cache: &Cache, instance_id: Uuid) -> String {
    cache.key(&gateway_key_suffix(instance_id))
}

/// The key without the deployment prefix (what [`Cache::key`] is given).
pub fn gateway_key_suffix(instance_id: Uuid) -> String {
    format!("gateway:{instance_id}")
}

/// Whether gateway `instance_id` is alive (its liveness key exists).
pub async fn is_gateway_alive(cache: &Cache, instance_id: Uuid) -> Result<bool, redis::RedisError> {
    let mut conn = cache.conn();
    redis::cmd("EXISTS")
        .arg(gateway_key(cache, instance_id))
        .query_async::<bool>(&mut conn)
        .await
}

/// The hash of a user's connections, without the deployment prefix.
pub fn connections_key_suffix(user_id: Uuid) -> String {
    format!("presence:conns:{user_id}")
}

/// Which of `user_ids` have at least one connection on a live gateway, in their order (one
/// round trip). A connection appears here once its gateway has registered it, within a few
/// hundred milliseconds of `ready`.
pub async fn connected_users(
    cache: &Cache,
    user_ids: &[Uuid],
) -> Result<Vec<bool>, redis::RedisError> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut invocation = ANY_LIVE_CONNECTION.prepare_invoke();
    for user_id in user_ids {
        invocation.key(cache.key(&connections_key_suffix(*user_id)));
    }
    invocation.arg(cache.key("gateway:"));
    let mut conn = cache.conn();
    let answer: Vec<i64> = invocation.invoke_async(&mut conn).await?;
    Ok(answer.into_iter().map(|flag| flag == 1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_the_gateway() {
        let id = Uuid::nil();
        assert_eq!(
            gateway_key_suffix(id),
            "gateway:00000000-0000-0000-0000-000000000000"
        );
    }
}
