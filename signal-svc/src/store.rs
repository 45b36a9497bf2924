//! Call state in Redis: every replica reads and writes the same keys, so any replica serves any
//! request and a replica that dies loses nothing.
//!
//! Keys (under `redis.key_prefix`):
//! - `call:<kind>:<id>`: hash, user id → participant record ([`Entry`], JSON);
//! - `call_user:<user id>`: the call the user is in (`<kind>:<id>`): one call per user;
//! - `calls`: set of calls that have participants (the sweeper walks it);
//! - `calls_in:<community id>`: set of a community's voice channel calls (permission changes);
//! - `calls_sweep`: the lease of the replica sweeping this round.
//!
//! Every key but the `calls` set (which the sweeper tidies) expires after `calls.state_ttl_secs`
//! unless refreshed (each write, and each sweep of a live call). Every change is one Lua script, so it is atomic: joins check the cap and the
//! user's other call in the same step (the cap holds under concurrent joins), and updates and
//! removals are compare-and-set against the record the caller read, so of two replicas acting
//! on the same participant exactly one wins (and only the winner publishes the event).

use chatalot_shared::{
    cache::Cache,
    contracts::calls::{CallConnection, CallId, CallParticipant},
    liveness,
};
use chrono::{DateTime, Utc};
use redis::{RedisError, Script};
use serde::{Deserialize, Serialize};
use std::{collections::HashMap, sync::LazyLock, time::Duration};
use uuid::Uuid;

/// A participant as stored: what others see, plus the connection it is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub user_id: Uuid,
    /// The session that joined: lets the service ask other services as this user (a
    /// conversation's member list) when no request of theirs is at hand.
    pub session_id: Uuid,
    pub connection: CallConnection,
    /// Voice channel calls: the channel's community.
    pub community_id: Option<Uuid>,
    pub joined_at: DateTime<Utc>,
    pub muted: bool,
    pub deafened: bool,
    pub camera: bool,
    pub screen_sharing: bool,
    pub can_speak: bool,
    pub can_video: bool,
    /// When the connection was found gone; the participant leaves a grace period later.
    pub disconnected_at: Option<DateTime<Utc>>,
    /// The connection's gateway was seen publishing its liveness key: from then on, the key's
    /// absence means the gateway died. (A gateway that never published one is not judged by it.)
    pub gateway_seen: bool,
}

impl Entry {
    pub fn participant(&self) -> CallParticipant {
        CallParticipant {
            user_id: self.user_id,
            joined_at: self.joined_at,
            muted: self.muted,
            deafened: self.deafened,
            camera: self.camera,
            screen_sharing: self.screen_sharing,
            can_speak: self.can_speak,
            can_video: self.can_video,
            connected: self.disconnected_at.is_none(),
        }
    }

    /// Connected through `connection` (not in its grace period).
    pub fn is_on(&self, connection: CallConnection) -> bool {
        self.connection == connection && self.disconnected_at.is_none()
    }

    /// Applies rights: without `can_speak` the participant is muted, without `can_video` their
    /// camera and screen are off.
    pub fn with_rights(mut self, can_speak: bool, can_video: bool) -> Self {
        self.can_speak = can_speak;
        self.can_video = can_video;
        self.muted |= !can_speak;
        if !can_video {
            self.camera = false;
            self.screen_sharing = false;
        }
        self
    }
}

/// A record as read: the exact stored text (compare-and-set compares against it) and its value.
#[derive(Debug, Clone)]
pub struct Stored {
    raw: String,
    pub entry: Entry,
}

impl Stored {
    fn parse(raw: String) -> Option<Self> {
        match serde_json::from_str(&raw) {
            Ok(entry) => Some(Self { raw, entry }),
            Err(err) => {
                tracing::warn!(error = %err, "dropping an unreadable call participant record");
                None
            }
        }
    }
}

/// The outcome of a join attempt.
#[derive(Debug)]
pub enum JoinOutcome {
    /// In (replacing the user's record on another connection, if there was one).
    In,
    /// The call is at its cap.
    Full,
    /// The user is in this other call (leave it, then try again).
    InOtherCall(CallId),
    /// A stale pointer was cleared; try again.
    Retry,
}

// KEYS: participants, user's call, active calls, community's calls
// ARGV: user id, record, cap, ttl, call key, "1" when the call belongs to a community
static JOIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('GET', KEYS[2])
if current and current ~= ARGV[5] then return {'busy', current} end
local previous = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
if (not previous) and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return {'full', ''}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'EX', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
if ARGV[6] == '1' then
  redis.call('SADD', KEYS[4], ARGV[5])
  redis.call('EXPIRE', KEYS[4], ARGV[4])
end
return {'joined', ''}
",
    )
});

// KEYS: participants, user's call, active calls, community's calls
// ARGV: user id, expected record, call key, "1" when the call belongs to a community
static REMOVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[3])
  if ARGV[4] == '1' then redis.call('SREM', KEYS[4], ARGV[3]) end
end
return 1
",
    )
});

// KEYS: participants; ARGV: user id, expected record, new record, ttl
static REPLACE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
",
    )
});

// KEYS: a set, the call's participants; ARGV: call key
static FORGET_IF_EMPTY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SREM', KEYS[1], ARGV[1]) end
return 1
",
    )
});

// KEYS: the user's call; ARGV: the call it must still name
static CLEAR_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
",
    )
});

/// The call keys in Redis.
#[derive(Clone)]
pub struct CallStore {
    cache: Cache,
    ttl_secs: u64,
}

impl CallStore {
    pub fn new(cache: Cache, ttl: Duration) -> Self {
        Self {
            cache,
            ttl_secs: ttl.as_secs().max(1),
        }
    }

    fn participants_key(&self, call: CallId) -> String {
        self.cache.key(&format!("call:{}", call.key()))
    }

    fn user_key(&self, user_id: Uuid) -> String {
        self.cache.key(&format!("call_user:{user_id}"))
    }

    fn active_key(&self) -> String {
        self.cache.key("calls")
    }

    fn community_key(&self, community_id: Uuid) -> String {
        self.cache.key(&format!("calls_in:{community_id}"))
    }

    fn community_args(&self, community_id: Option<Uuid>) -> (String, &'static str) {
        match community_id {
            Some(id) => (self.community_key(id), "1"),
            // Unused by the scripts, but every key is declared.
            None => (self.active_key(), "0"),
        }
    }

    /// Every participant of `call`, in the order they joined.
    pub async fn participants(&self, call: CallId) -> Result<Vec<Stored>, RedisError> {
        let mut conn = self.cache.conn();
        let all: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(self.participants_key(call))
            .query_async(&mut conn)
            .await?;
        let mut stored: Vec<Stored> = all.into_values().filter_map(Stored::parse).collect();
        stored.sort_by_key(|s| (s.entry.joined_at, s.entry.user_id));
        Ok(stored)
    }

    /// One participant of `call`.
    pub async fn participant(
        &self,
        call: CallId,
        user_id: Uuid,
    ) -> Result<Option<Stored>, RedisError> {
        let mut conn = self.cache.conn();
        let raw: Option<String> = redis::cmd("HGET")
            .arg(self.participants_key(call))
            .arg(user_id.to_string())
            .query_async(&mut conn)
            .await?;
        Ok(raw.and_then(Stored::parse))
    }

    /// Two participants of `call`, read together.
    pub async fn pair(
        &self,
        call: CallId,
        a: Uuid,
        b: Uuid,
    ) -> Result<(Option<Stored>, Option<Stored>), RedisError> {
        let mut conn = self.cache.conn();
        let (a, b): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(self.participants_key(call))
            .arg(a.to_string())
            .arg(b.to_string())
            .query_async(&mut conn)
            .await?;
        Ok((a.and_then(Stored::parse), b.and_then(Stored::parse)))
    }

    /// The call `user_id` is in, if any.
    pub async fn user_call(&self, user_id: Uuid) -> Result<Option<CallId>, RedisError> {
        let mut conn = self.cache.conn();
        let key: Option<String> = redis::cmd("GET")
            .arg(self.user_key(user_id))
            .query_async(&mut conn)
            .await?;
        Ok(key.as_deref().and_then(CallId::from_key))
    }

    /// Forgets that `user_id` is in `call` when no record backs it (a stale pointer).
    pub async fn clear_user_call(&self, user_id: Uuid, call: CallId) -> Result<(), RedisError> {
        self.clear_user_call_raw(user_id, &call.key()).await
    }

    /// Adds `entry` to `call` unless the call is at `cap` or the user is in another call.
    pub async fn join(
        &self,
        call: CallId,
        entry: &Entry,
        cap: u32,
    ) -> Result<JoinOutcome, RedisError> {
        let record = serde_json::to_string(entry).map_err(json_error)?;
        let (community_key, in_community) = self.community_args(entry.community_id);
        let mut conn = self.cache.conn();
        let outcome: (String, String) = JOIN
            .key(self.participants_key(call))
            .key(self.user_key(entry.user_id))
            .key(self.active_key())
            .key(community_key)
            .arg(entry.user_id.to_string())
            .arg(record)
            .arg(cap)
            .arg(self.ttl_secs)
            .arg(call.key())
            .arg(in_community)
            .invoke_async(&mut conn)
            .await?;
        Ok(match outcome.0.as_str() {
            "full" => JoinOutcome::Full,
            "busy" => match CallId::from_key(&outcome.1) {
                Some(other) => JoinOutcome::InOtherCall(other),
                None => {
                    // Not a call key: nothing valid to leave; drop the pointer and retry.
                    self.clear_user_call_raw(entry.user_id, &outcome.1).await?;
                    JoinOutcome::Retry
                }
            },
            _ => JoinOutcome::In,
        })
    }

    async fn clear_user_call_raw(&self, user_id: Uuid, value: &str) -> Result<(), RedisError> {
        let mut conn = self.cache.conn();
        CLEAR_USER
            .key(self.user_key(user_id))
            .arg(value)
            .invoke_async::<i64>(&mut conn)
            .await
            .map(drop)
    }

    /// Removes the participant `stored` describes, if the record is still exactly that one.
    /// Returns whether this call removed it (the caller then tells the others).
    pub async fn remove(&self, call: CallId, stored: &Stored) -> Result<bool, RedisError> {
        let (community_key, in_community) = self.community_args(stored.entry.community_id);
        let mut conn = self.cache.conn();
        let removed: i64 = REMOVE
            .key(self.participants_key(call))
            .key(self.user_key(stored.entry.user_id))
            .key(self.active_key())
            .key(community_key)
            .arg(stored.entry.user_id.to_string())
            .arg(&stored.raw)
            .arg(call.key())
            .arg(in_community)
            .invoke_async(&mut conn)
            .await?;
        Ok(removed == 1)
    }

    /// Replaces the record `stored` describes with `entry`, if it is still exactly that one.
    /// Returns the new record when this call replaced it.
    pub async fn replace(
        &self,
        call: CallId,
        stored: &Stored,
        entry: Entry,
    ) -> Result<Option<Stored>, RedisError> {
        let raw = serde_json::to_string(&entry).map_err(json_error)?;
        let mut conn = self.cache.conn();
        let replaced: i64 = REPLACE
            .key(self.participants_key(call))
            .arg(entry.user_id.to_string())
            .arg(&stored.raw)
            .arg(&raw)
            .arg(self.ttl_secs)
            .invoke_async(&mut conn)
            .await?;
        Ok((replaced == 1).then_some(Stored { raw, entry }))
    }

    /// Keeps a live call's keys from expiring: its participants and their pointers.
    pub async fn refresh(&self, call: CallId, participants: &[Stored]) -> Result<(), RedisError> {
        let mut pipe = redis::pipe();
        pipe.cmd("EXPIRE")
            .arg(self.participants_key(call))
            .arg(self.ttl_secs)
            .ignore();
        for stored in participants {
            pipe.cmd("EXPIRE")
                .arg(self.user_key(stored.entry.user_id))
                .arg(self.ttl_secs)
                .ignore();
            if let Some(community_id) = stored.entry.community_id {
                pipe.cmd("EXPIRE")
                    .arg(self.community_key(community_id))
                    .arg(self.ttl_secs)
                    .ignore();
            }
        }
        let mut conn = self.cache.conn();
        pipe.query_async::<()>(&mut conn).await
    }

    /// One page of the calls that have participants, and the cursor of the next (0: done).
    pub async fn active_calls(&self, cursor: u64) -> Result<(u64, Vec<CallId>), RedisError> {
        let mut conn = self.cache.conn();
        let (next, keys): (u64, Vec<String>) = redis::cmd("SSCAN")
            .arg(self.active_key())
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query_async(&mut conn)
            .await?;
        Ok((
            next,
            keys.iter().filter_map(|k| CallId::from_key(k)).collect(),
        ))
    }

    /// The voice channel calls of a community that have participants.
    pub async fn community_calls(&self, community_id: Uuid) -> Result<Vec<CallId>, RedisError> {
        let mut conn = self.cache.conn();
        let keys: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.community_key(community_id))
            .query_async(&mut conn)
            .await?;
        Ok(keys.iter().filter_map(|k| CallId::from_key(k)).collect())
    }

    /// Drops `call` from the active set (and its community's) once it has no participants left.
    pub async fn forget_if_empty(
        &self,
        call: CallId,
        community_id: Option<Uuid>,
    ) -> Result<(), RedisError> {
        let mut conn = self.cache.conn();
        let mut sets = vec![self.active_key()];
        sets.extend(community_id.map(|id| self.community_key(id)));
        for set in sets {
            FORGET_IF_EMPTY
                .key(set)
                .key(self.participants_key(call))
                .arg(call.key())
                .invoke_async::<i64>(&mut conn)
                .await?;
        }
        Ok(())
    }

    /// Whether the gateway process `gateway_id` is alive (its liveness key exists; see
    /// `chatalot_shared::liveness`).
    pub async fn gateway_alive(&self, gateway_id: Uuid) -> Result<bool, RedisError> {
        liveness::is_gateway_alive(&self.cache, gateway_id).await
    }

    /// Takes this round's sweeping lease for `holder`, if no other replica holds it.
    pub async fn claim_sweep(&self, holder: Uuid, lease: Duration) -> Result<bool, RedisError> {
        let mut conn = self.cache.conn();
        let taken: Option<String> = redis::cmd("SET")
            .arg(self.cache.key("calls_sweep"))
            .arg(holder.to_string())
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1))
            .query_async(&mut conn)
            .await?;
        Ok(taken.is_some())
    }
}

fn json_error(err: serde_json::Error) -> RedisError {
    RedisError::from((
        redis::ErrorKind::TypeError,
        "encoding a call participant",
        err.to_string(),
    ))
}
