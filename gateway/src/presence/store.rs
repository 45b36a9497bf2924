//! Presence in Redis. Every key is under `redis.key_prefix` (shown as `P`):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `P:gateway:<gw>` | string, TTL `presence.gateway_ttl_secs` | the gateway is alive (see `chatalot_shared::liveness`) |
//! | `P:presence:gateways` | sorted set | every gateway with connections, scored by when its liveness runs out (ms) |
//! | `P:presence:gateway:<gw>:users` | set | users with connections on that gateway (for its sweep) |
//! | `P:presence:conns:<user>` | hash | `<gw>:<connection id>` -> `a` (active) or `i` (idle) |
//! | `P:presence:settings:<user>` | string, TTL 1 day | the chosen status cached from auth-svc: `version \t status \t expires_ms \t text` |
//! | `P:presence:seen:<user>` | string | what others were last told: `status \t expires_ms \t text`; absent = offline |
//! | `P:presence:expiry` | sorted set | users whose custom status expires, scored by when (ms) |
//!
//! Every change runs as one Lua script, so gateways changing the same user at once never
//! publish a stale or duplicate change: the script updates the connections, works out what
//! others should see from the live ones and the chosen status, compares it with `seen`, stores
//! it and says whether it changed. Only the gateway whose script saw the change publishes it.
//! A connection counts only while its gateway's liveness key exists; the script drops the
//! connections of dead gateways it comes across. (One Redis, not a cluster: the scripts touch
//! keys they compute.)

use chatalot_shared::{
    cache::Cache,
    config::{PresenceConfig, RedisConfig},
    contracts::presence::{
        ChosenStatus, CustomStatus, Presence, PresenceSettings, PresenceStatus,
        StoredPresenceSettings,
    },
    liveness,
};
use chrono::{DateTime, Utc};
use redis::Script;
use std::{future::Future, sync::LazyLock, time::Duration};
use tokio::sync::OnceCell;
use uuid::Uuid;

/// How long a cached chosen status lives without being reloaded (it is versioned, so a reload
/// never goes back; the TTL only bounds how long a write lost to a Redis failure can linger).
const SETTINGS_TTL_SECS: u64 = 24 * 3600;

/// Replaces this gateway's connections of a user (mode `sync`) or only recomputes (mode
/// `recompute`), then compares what others see with what they were last told.
/// Returns `{code, seen, settings}`: code 1 changed, 0 unchanged, -1 the chosen status is not
/// cached (the caller loads it and runs the script again).
static SYNC: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local conns, settings_key, seen_key, own_users = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local mode, own, live_prefix, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local settings = redis.call('GET', settings_key)
if not settings then return {-1, '', ''} end
if mode == 'sync' then
  local prefix = own .. ':'
  for _, field in ipairs(redis.call('HKEYS', conns)) do
    if string.sub(field, 1, #prefix) == prefix then redis.call('HDEL', conns, field) end
  end
  for i = 5, #ARGV, 2 do redis.call('HSET', conns, prefix .. ARGV[i], ARGV[i + 1]) end
  if #ARGV >= 5 then redis.call('SADD', own_users, user) else redis.call('SREM', own_users, user) end
end
-- The gateway running this script is alive, whatever its key says right now.
local alive = {[own] = true}
local present, active = false, false
local all = redis.call('HGETALL', conns)
for i = 1, #all, 2 do
  local field, state = all[i], all[i + 1]
  local gateway = string.match(field, '^([^:]+):')
  local ok = alive[gateway]
  if ok == nil then
    ok = redis.call('EXISTS', live_prefix .. gateway) == 1
    alive[gateway] = ok
  end
  if ok then
    present = true
    if state == 'a' then active = true end
  else
    redis.call('HDEL', conns, field)
  end
end
local _, chosen, expires, text = string.match(settings, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$')
local status
if not present or chosen == 'invisible' then status = 'offline'
elseif chosen == 'dnd' then status = 'dnd'
elseif chosen == 'idle' or not active then status = 'idle'
else status = 'online' end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if status == 'offline' or text == nil or text == '' or (expires ~= '' and tonumber(expires) <= now) then
  text, expires = '', ''
end
local seen = status .. '\t' .. expires .. '\t' .. text
local before = redis.call('GET', seen_key) or 'offline\t\t'
if seen == before then return {0, seen, settings} end
if status == 'offline' then redis.call('DEL', seen_key) else redis.call('SET', seen_key, seen) end
return {1, seen, settings}
"#,
    )
});

/// Caches a chosen status unless a newer version is cached; schedules its expiry.
static SET_SETTINGS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '^(%-?%d+)'))
  if version and version > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
else redis.call('ZREM', KEYS[2], ARGV[5]) end
return 1
"#,
    )
});

/// Refreshes this gateway's liveness key and its entry in the gateway set. Returns whether the
/// key existed: when it did not, Redis lost this gateway's records (restart, or the gateway
/// stalled past its TTL and was swept) and it must register its connections again.
static REFRESH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]) * 1000, ARGV[2])
return existed
"#,
    )
});

/// Claims gateways whose liveness ran out, each for one sweeper: the claim pushes the gateway's
/// score a lease ahead, so another sweeper takes over only if this one dies mid-sweep.
static CLAIM_DEAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, gateway in ipairs(due) do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), gateway)
  if redis.call('EXISTS', ARGV[1] .. gateway) == 0 then table.insert(claimed, gateway) end
end
return claimed
"#,
    )
});

/// Forgets a swept gateway, unless it came back meanwhile.
static FORGET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"#,
    )
});

/// Claims users whose custom status expired (each for one sweeper).
static CLAIM_EXPIRED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, user in ipairs(due) do redis.call('ZREM', KEYS[1], user) end
return due
"#,
    )
});

/// What others see of a user, as stored in `seen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible {
    pub status: PresenceStatus,
    pub custom_status: Option<CustomStatus>,
}

impl Visible {
    pub const OFFLINE: Visible = Visible {
        status: PresenceStatus::Offline,
        custom_status: None,
    };

    pub fn of(&self, user_id: Uuid) -> Presence {
        Presence {
            user_id,
            status: self.status,
            custom_status: self.custom_status.clone(),
        }
    }

    /// `status \t expires_ms \t text`.
    pub fn decode(value: &str) -> Option<Visible> {
        let mut parts = value.splitn(3, '\t');
        let status = PresenceStatus::parse(parts.next()?)?;
        let expires = parts.next()?;
        let text = parts.next()?;
        Some(Visible {
            status,
            custom_status: custom_status(text, expires)?,
        })
    }
}

/// `Some(None)` for no text; `None` when `expires` is malformed.
fn custom_status(text: &str, expires: &str) -> Option<Option<CustomStatus>> {
    if text.is_empty() {
        return Some(None);
    }
    let expires_at = if expires.is_empty() {
        None
    } else {
        Some(DateTime::<Utc>::from_timestamp_millis(
            expires.parse().ok()?,
        )?)
    };
    Some(Some(CustomStatus {
        text: text.to_string(),
        expires_at,
    }))
}

/// `version \t status \t expires_ms \t text`. The text cannot hold a tab: control characters
/// are refused when it is set.
pub fn encode_settings(stored: &StoredPresenceSettings) -> String {
    let (expires, text) = match &stored.settings.custom_status {
        Some(custom) => (
            custom
                .expires_at
                .map(|at| at.timestamp_millis().to_string())
                .unwrap_or_default(),
            custom.text.replace(['\t', '\n'], " "),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "{}\t{}\t{expires}\t{text}",
        stored.version,
        stored.settings.status.as_str()
    )
}

/// The chosen status in a cached value; a custom status expired by `now` reads as none.
pub fn decode_settings(value: &str, now: DateTime<Utc>) -> Option<PresenceSettings> {
    let mut parts = value.splitn(4, '\t');
    let _version = parts.next()?;
    let status = ChosenStatus::parse(parts.next()?)?;
    let expires = parts.next()?;
    let text = parts.next()?;
    let custom_status =
        custom_status(text, expires)?.filter(|custom| custom.expires_at.is_none_or(|at| at > now));
    Some(PresenceSettings {
        status,
        custom_status,
    })
}

/// The outcome of a sync or recompute.
#[derive(Debug)]
pub enum Synced {
    /// The chosen status is not cached: load it, then run again.
    NeedSettings,
    Done {
        changed: bool,
        visible: Visible,
        settings: Option<PresenceSettings>,
    },
}

/// This gateway's handle on presence in Redis. Every command is bounded by
/// `presence.redis_timeout_ms`.
pub struct Store {
    gateway: Uuid,
    redis: RedisConfig,
    cache: OnceCell<Cache>,
    ttl_secs: u64,
    lease_ms: u64,
    timeout: Duration,
}

impl Store {
    pub fn new(gateway: Uuid, redis: &RedisConfig, config: &PresenceConfig) -> Self {
        Self {
            gateway,
            redis: redis.clone(),
            cache: OnceCell::new(),
            ttl_secs: config.gateway_ttl_secs,
            // A sweeper that dies mid-sweep is replaced after this long.
            lease_ms: config.gateway_ttl_secs * 1000,
            timeout: config.redis_timeout(),
        }
    }

    /// Connects to Redis if not yet connected (the gateway starts, and serves, without it).
    pub async fn connect(&self) -> anyhow::Result<()> {
        self.cache
            .get_or_try_init(|| async {
                tokio::time::timeout(self.timeout.max(Duration::from_secs(3)), async {
                    Cache::connect(&self.redis).await
                })
                .await
                .map_err(|_| anyhow::anyhow!("Redis did not answer in time"))?
            })
            .await
            .map(|_| ())
    }

    fn cache(&self) -> anyhow::Result<&Cache> {
        self.cache
            .get()
            .ok_or_else(|| anyhow::anyhow!("not connected to Redis yet"))
    }

    async fn bounded<T, F>(&self, what: &str, command: F) -> anyhow::Result<T>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(anyhow::anyhow!("{what}: {err}")),
            Err(_) => Err(anyhow::anyhow!(
                "{what}: Redis did not answer within {} ms",
                self.timeout.as_millis()
            )),
        }
    }

    fn live_prefix(cache: &Cache) -> String {
        cache.key("gateway:")
    }

    fn keys(cache: &Cache, user_id: Uuid) -> [String; 3] {
        [
            cache.key(&liveness::connections_key_suffix(user_id)),
            cache.key(&format!("presence:settings:{user_id}")),
            cache.key(&format!("presence:seen:{user_id}")),
        ]
    }

    fn gateway_users(cache: &Cache, gateway: Uuid) -> String {
        cache.key(&format!("presence:gateway:{gateway}:users"))
    }

    /// Writes this gateway's connections of `user_id` (`(id, idle)`) and recomputes.
    pub async fn sync(&self, user_id: Uuid, connections: &[(u64, bool)]) -> anyhow::Result<Synced> {
        self.run_sync("sync", user_id, connections).await
    }

    /// Recomputes what others see of `user_id` from Redis alone (dead gateways' connections
    /// are dropped on the way); this gateway's connections are left as they are.
    pub async fn recompute(&self, user_id: Uuid) -> anyhow::Result<Synced> {
        self.run_sync("recompute", user_id, &[]).await
    }

    async fn run_sync(
        &self,
        mode: &str,
        user_id: Uuid,
        connections: &[(u64, bool)],
    ) -> anyhow::Result<Synced> {
        let cache = self.cache()?;
        let [conns, settings, seen] = Self::keys(cache, user_id);
        let mut invocation = SYNC.prepare_invoke();
        invocation
            .key(conns)
            .key(settings)
            .key(seen)
            .key(Self::gateway_users(cache, self.gateway))
            .arg(mode)
            .arg(self.gateway.to_string())
            .arg(Self::live_prefix(cache))
            .arg(user_id.to_string());
        for (connection_id, idle) in connections {
            invocation
                .arg(connection_id.to_string())
                .arg(if *idle { "i" } else { "a" });
        }
        let mut conn = cache.conn();
        let (code, seen, settings): (i64, String, String) = self
            .bounded("updating presence", invocation.invoke_async(&mut conn))
            .await?;
        if code < 0 {
            return Ok(Synced::NeedSettings);
        }
        let visible = Visible::decode(&seen)
            .ok_or_else(|| anyhow::anyhow!("undecodable presence {seen:?} in Redis"))?;
        Ok(Synced::Done {
            changed: code == 1,
            visible,
            settings: decode_settings(&settings, Utc::now()),
        })
    }

    /// Caches a chosen status (unless a newer one is cached) and schedules its expiry.
    pub async fn set_settings(&self, stored: &StoredPresenceSettings) -> anyhow::Result<()> {
        let cache = self.cache()?;
        let expires = stored
            .settings
            .custom_status
            .as_ref()
            .and_then(|c| c.expires_at)
            .map(|at| at.timestamp_millis().to_string())
            .unwrap_or_default();
        let mut invocation = SET_SETTINGS.prepare_invoke();
        invocation
            .key(cache.key(&format!("presence:settings:{}", stored.user_id)))
            .key(cache.key("presence:expiry"))
            .arg(stored.version)
            .arg(encode_settings(stored))
            .arg(SETTINGS_TTL_SECS)
            .arg(expires)
            .arg(stored.user_id.to_string());
        let mut conn = cache.conn();
        self.bounded::<i64, _>(
            "caching a chosen status",
            invocation.invoke_async(&mut conn),
        )
        .await
        .map(|_| ())
    }

    /// Refreshes this gateway's liveness; whether its records were still there.
    pub async fn refresh_liveness(&self) -> anyhow::Result<bool> {
        let cache = self.cache()?;
        let mut invocation = REFRESH.prepare_invoke();
        invocation
            .key(liveness::gateway_key(cache, self.gateway))
            .key(cache.key("presence:gateways"))
            .arg(self.ttl_secs)
            .arg(self.gateway.to_string());
        let mut conn = cache.conn();
        self.bounded::<i64, _>("refreshing liveness", invocation.invoke_async(&mut conn))
            .await
            .map(|existed| existed == 1)
    }

    /// Up to `limit` dead gateways, claimed for this sweeper.
    pub async fn claim_dead_gateways(&self, limit: usize) -> anyhow::Result<Vec<Uuid>> {
        let cache = self.cache()?;
        let mut invocation = CLAIM_DEAD.prepare_invoke();
        invocation
            .key(cache.key("presence:gateways"))
            .arg(Self::live_prefix(cache))
            .arg(self.lease_ms)
            .arg(limit);
        let mut conn = cache.conn();
        let ids: Vec<String> = self
            .bounded("claiming dead gateways", invocation.invoke_async(&mut conn))
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect())
    }

    /// The users that had connections on `gateway`.
    pub async fn users_of(&self, gateway: Uuid) -> anyhow::Result<Vec<Uuid>> {
        let cache = self.cache()?;
        let mut conn = cache.conn();
        let ids: Vec<String> = self
            .bounded(
                "listing a gateway's users",
                redis::cmd("SMEMBERS")
                    .arg(Self::gateway_users(cache, gateway))
                    .query_async(&mut conn),
            )
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect())
    }

    /// Forgets a swept gateway (unless it is alive again).
    pub async fn forget_gateway(&self, gateway: Uuid) -> anyhow::Result<()> {
        let cache = self.cache()?;
        let mut invocation = FORGET.prepare_invoke();
        invocation
            .key(liveness::gateway_key(cache, gateway))
            .key(Self::gateway_users(cache, gateway))
            .key(cache.key("presence:gateways"))
            .arg(gateway.to_string());
        let mut conn = cache.conn();
        self.bounded::<i64, _>("forgetting a gateway", invocation.invoke_async(&mut conn))
            .await
            .map(|_| ())
    }

    /// Up to `limit` users whose custom status expired, claimed for this sweeper.
    pub async fn claim_expired(&self, limit: usize) -> anyhow::Result<Vec<Uuid>> {
        let cache = self.cache()?;
        let mut invocation = CLAIM_EXPIRED.prepare_invoke();
        invocation.key(cache.key("presence:expiry")).arg(limit);
        let mut conn = cache.conn();
        let ids: Vec<String> = self
            .bounded(
                "claiming expired statuses",
                invocation.invoke_async(&mut conn),
            )
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect())
    }

    /// What others see of each of `user_ids` (offline ones left out).
    pub async fn visible_of(&self, user_ids: &[Uuid]) -> anyhow::Result<Vec<Presence>> {
        let cache = self.cache()?;
        let mut presences = Vec::new();
        for chunk in user_ids.chunks(1000) {
            let keys: Vec<String> = chunk
                .iter()
                .map(|id| cache.key(&format!("presence:seen:{id}")))
                .collect();
            let mut conn = cache.conn();
            let values: Vec<Option<String>> = self
                .bounded(
                    "reading presences",
                    redis::cmd("MGET").arg(keys).query_async(&mut conn),
                )
                .await?;
            presences.extend(chunk.iter().zip(values).filter_map(|(id, value)| {
                let visible = Visible::decode(value.as_deref()?)?;
                (visible.status != PresenceStatus::Offline).then(|| visible.of(*id))
            }));
        }
        Ok(presences)
    }

    /// A clean shutdown: the liveness key goes, and the gateway is due for a sweep at once, so
    /// whatever connection it could not remove itself stops counting right away.
    pub async fn leave(&self) -> anyhow::Result<()> {
        let cache = self.cache()?;
        let mut conn = cache.conn();
        self.bounded::<(), _>(
            "leaving",
            redis::pipe()
                .atomic()
                .del(liveness::gateway_key(cache, self.gateway))
                .ignore()
                .zadd(cache.key("presence:gateways"), self.gateway.to_string(), 0)
                .ignore()
                .query_async(&mut conn),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_values_decode() {
        assert_eq!(Visible::decode("offline\t\t"), Some(Visible::OFFLINE));
        let visible = Visible::decode("dnd\t1700000000123\tfocus: deep\twork");
        let custom = visible.and_then(|v| v.custom_status);
        assert_eq!(
            custom.as_ref().map(|c| c.text.as_str()),
            Some("focus: deep\twork")
        );
        assert_eq!(
            custom
                .and_then(|c| c.expires_at)
                .map(|at| at.timestamp_millis()),
            Some(1_700_000_000_123)
        );
        assert_eq!(Visible::decode("away\t\t"), None);
        assert_eq!(Visible::decode("online\tsoon\ttext"), None);
        assert_eq!(Visible::decode("online"), None);
    }

    #[test]
    fn settings_round_trip_through_the_cache_encoding() {
        let expires_at = DateTime::<Utc>::from_timestamp_millis(1_800_000_000_456);
        let stored = StoredPresenceSettings {
            user_id: Uuid::nil(),
            settings: PresenceSettings {
                status: ChosenStatus::Invisible,
                custom_status: Some(CustomStatus {
                    text: "on leave".into(),
                    expires_at,
                }),
            },
            version: 7,
        };
        let encoded = encode_settings(&stored);
        assert_eq!(encoded, "7\tinvisible\t1800000000456\ton leave");
        let before = DateTime::<Utc>::from_timestamp_millis(1_800_000_000_000).unwrap_or_default();
        assert_eq!(decode_settings(&encoded, before), Some(stored.settings));
        let after = DateTime::<Utc>::from_timestamp_millis(1_800_000_000_456).unwrap_or_default();
        assert_eq!(
            decode_settings(&encoded, after).map(|s| (s.status, s.custom_status)),
            Some((ChosenStatus::Invisible, None)),
            "an expired custom status reads as none"
        );
        let default = StoredPresenceSettings {
            user_id: Uuid::nil(),
            settings: PresenceSettings::default(),
            version: 0,
        };
        assert_eq!(encode_settings(&default), "0\tonline\t\t");
        assert_eq!(
            decode_settings(&encode_settings(&default), Utc::now()),
            Some(PresenceSettings::default())
        );
    }

    /// The scripts against a real Redis (`TEST_CHATALOT_REDIS_URL`), each test under its own
    /// key prefix.
    mod scripts {
        use super::*;

        fn redis_config(prefix: &str) -> RedisConfig {
            RedisConfig {
                url: chatalot_shared::secret::Secret::new(
                    std::env::var("TEST_CHATALOT_REDIS_URL")
                        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
                ),
                key_prefix: prefix.to_string(),
            }
        }

        /// Two gateways' stores on one fresh prefix, both alive.
        async fn two_gateways() -> (Store, Store) {
            let prefix = format!("t{}", Uuid::new_v4().simple());
            let config = PresenceConfig::default();
            let a = Store::new(Uuid::new_v4(), &redis_config(&prefix), &config);
            let b = Store::new(Uuid::new_v4(), &redis_config(&prefix), &config);
            for store in [&a, &b] {
                assert!(
                    store.connect().await.is_ok(),
                    "Redis (TEST_CHATALOT_REDIS_URL)"
                );
                assert_eq!(store.refresh_liveness().await.ok(), Some(false));
                assert_eq!(store.refresh_liveness().await.ok(), Some(true));
            }
            (a, b)
        }

        fn settings(user_id: Uuid, status: ChosenStatus, version: i64) -> StoredPresenceSettings {
            StoredPresenceSettings {
                user_id,
                settings: PresenceSettings {
                    status,
                    custom_status: None,
                },
                version,
            }
        }

        /// `(changed, status)`, or `None` when the settings are not cached.
        async fn sync(
            store: &Store,
            user: Uuid,
            connections: &[(u64, bool)],
        ) -> Option<(bool, PresenceStatus)> {
            match store.sync(user, connections).await.ok()? {
                Synced::Done {
                    changed, visible, ..
                } => Some((changed, visible.status)),
                Synced::NeedSettings => None,
            }
        }

        #[tokio::test]
        async fn the_aggregate_spans_gateways_and_each_change_is_reported_once() {
            let (a, b) = two_gateways().await;
            let user = Uuid::new_v4();
            assert_eq!(sync(&a, user, &[(1, false)]).await, None, "settings first");
            assert!(
                a.set_settings(&settings(user, ChosenStatus::Online, 0))
                    .await
                    .is_ok()
            );
            assert_eq!(
                sync(&a, user, &[(1, false)]).await,
                Some((true, PresenceStatus::Online))
            );
            assert_eq!(
                sync(&b, user, &[(7, true)]).await,
                Some((false, PresenceStatus::Online))
            );
            // A's device leaves: B's idle one remains.
            assert_eq!(
                sync(&a, user, &[]).await,
                Some((true, PresenceStatus::Idle))
            );
            // The same state again is no change, from either gateway.
            assert_eq!(
                sync(&b, user, &[(7, true)]).await,
                Some((false, PresenceStatus::Idle))
            );
            assert_eq!(
                sync(&a, user, &[]).await,
                Some((false, PresenceStatus::Idle))
            );
            let visible = a.visible_of(&[user, Uuid::new_v4()]).await.ok();
            assert_eq!(
                visible.map(|v| v.iter().map(|p| (p.user_id, p.status)).collect::<Vec<_>>()),
                Some(vec![(user, PresenceStatus::Idle)])
            );
        }

        #[tokio::test]
        async fn concurrent_updates_report_a_change_exactly_once() {
            let (a, b) = two_gateways().await;
            let user = Uuid::new_v4();
            assert!(
                a.set_settings(&settings(user, ChosenStatus::Online, 0))
                    .await
                    .is_ok()
            );
            let (from_a, from_b) =
                tokio::join!(sync(&a, user, &[(1, false)]), sync(&b, user, &[(2, false)]));
            let changes = [from_a, from_b]
                .iter()
                .filter(|r| matches!(r, Some((true, _))))
                .count();
            assert_eq!(changes, 1, "{from_a:?} {from_b:?}");
        }

        #[tokio::test]
        async fn a_dead_gateways_connections_stop_counting() {
            let (a, b) = two_gateways().await;
            let user = Uuid::new_v4();
            assert!(
                a.set_settings(&settings(user, ChosenStatus::Online, 0))
                    .await
                    .is_ok()
            );
            assert_eq!(
                sync(&b, user, &[(1, false)]).await,
                Some((true, PresenceStatus::Online))
            );
            assert_eq!(b.users_of(b.gateway).await.ok(), Some(vec![user]));
            // B dies: its liveness key is gone (as when its TTL runs out).
            let Ok(cache) = a.cache() else {
                panic!("connected")
            };
            let mut conn = cache.conn();
            let deleted: redis::RedisResult<i64> = redis::cmd("DEL")
                .arg(liveness::gateway_key(cache, b.gateway))
                .query_async(&mut conn)
                .await;
            assert_eq!(deleted.ok(), Some(1));
            // Its score has not run out yet, so nothing is claimed; a recompute still sees it dead.
            assert_eq!(a.claim_dead_gateways(10).await.ok(), Some(vec![]));
            let recomputed = match a.recompute(user).await {
                Ok(Synced::Done {
                    changed, visible, ..
                }) => Some((changed, visible.status)),
                _ => None,
            };
            assert_eq!(recomputed, Some((true, PresenceStatus::Offline)));
            assert!(a.forget_gateway(b.gateway).await.is_ok());
            assert_eq!(a.users_of(b.gateway).await.ok(), Some(vec![]));
        }

        #[tokio::test]
        async fn invisibility_and_versions_hold() {
            let (a, _) = two_gateways().await;
            let user = Uuid::new_v4();
            assert!(
                a.set_settings(&settings(user, ChosenStatus::Invisible, 3))
                    .await
                    .is_ok()
            );
            assert_eq!(
                sync(&a, user, &[(1, false)]).await,
                Some((false, PresenceStatus::Offline))
            );
            // An older choice arriving late does not replace the newer one.
            assert!(
                a.set_settings(&settings(user, ChosenStatus::Online, 2))
                    .await
                    .is_ok()
            );
            assert_eq!(
                sync(&a, user, &[(1, false)]).await,
                Some((false, PresenceStatus::Offline))
            );
            assert!(
                a.set_settings(&settings(user, ChosenStatus::Dnd, 4))
                    .await
                    .is_ok()
            );
            assert_eq!(
                sync(&a, user, &[(1, false)]).await,
                Some((true, PresenceStatus::Dnd))
            );
        }

        #[tokio::test]
        async fn custom_statuses_show_until_they_expire_and_are_claimed_once() {
            let (a, b) = two_gateways().await;
            let user = Uuid::new_v4();
            let mut chosen = settings(user, ChosenStatus::Online, 1);
            chosen.settings.custom_status = Some(CustomStatus {
                text: "lunch".into(),
                expires_at: Some(Utc::now() + chrono::Duration::milliseconds(300)),
            });
            assert!(a.set_settings(&chosen).await.is_ok());
            let shown = match a.sync(user, &[(1, false)]).await {
                Ok(Synced::Done { visible, .. }) => visible.custom_status.map(|c| c.text),
                _ => None,
            };
            assert_eq!(shown.as_deref(), Some("lunch"));
            tokio::time::sleep(Duration::from_millis(400)).await;
            let (claimed_a, claimed_b) = tokio::join!(a.claim_expired(10), b.claim_expired(10));
            let mut claimed = claimed_a.unwrap_or_default();
            claimed.extend(claimed_b.unwrap_or_default());
            assert_eq!(claimed, vec![user], "claimed exactly once");
            let after = match a.recompute(user).await {
                Ok(Synced::Done {
                    changed, visible, ..
                }) => Some((changed, visible.custom_status)),
                _ => None,
            };
            assert_eq!(after, Some((true, None)));
        }
    }
}
