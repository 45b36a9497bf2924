//! Gateway liveness in Redis: the contract between gateways and the services that keep state
//! per gateway (presence, call participants).
//!
//! Every gateway process has a random `instance_id` and keeps the key [`gateway_key`]
//! (`<redis.key_prefix>:gateway:<instance_id>`, any value) alive with a TTL of
//! `presence.gateway_ttl_secs`, refreshed at least every third of it and deleted on a clean
//! shutdown. After a Redis restart the key comes back by itself within one refresh. A missing
//! key therefore means the gateway is dead (or cannot reach Redis): whatever it held stops
//! counting. The gateway side lives in `gateway/src/presence/liveness.rs`.

use crate::cache::Cache;
use uuid::Uuid;

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
