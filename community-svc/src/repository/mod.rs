//! SQL, one module per table group. Functions take a connection or transaction (so the handler
//! decides what is atomic) and return contract or domain types. Queries are runtime-checked
//! (`sqlx::query_as`) because the workspace has no offline `.sqlx/` data yet; the pool's
//! `search_path` is the `community` schema, so table names are unqualified.

pub mod audit;
pub mod bans;
pub mod channels;
pub mod communities;
pub mod enums;
pub mod groups;
pub mod invites;
pub mod members;
pub mod overwrites;
pub mod roles;
pub mod snapshots;
pub mod warnings;

use chatalot_shared::contracts::permissions::PermissionSet;

pub use chatalot_shared::db::OrInternal;

/// A `like`/`ilike` pattern matching `text` anywhere, with the wildcards in `text` escaped so a
/// search for `100%` finds exactly that.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Permission sets are stored as their bit mask.
fn bits(set: PermissionSet) -> i64 {
    // At most 64 flags fit the mask; 19 exist today, so the top bit is never set.
    i64::from_ne_bytes(set.bits().to_ne_bytes())
}

fn permission_set(bits: i64) -> PermissionSet {
    PermissionSet::from_bits(u64::from_ne_bytes(bits.to_ne_bytes()))
}

/// Counts and limits are `integer` columns and never negative.
fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatalot_shared::contracts::permissions::Permission;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("rust"), "%rust%");
        assert_eq!(contains_pattern("100%_\\"), "%100\\%\\_\\\\%");
    }

    #[test]
    fn permission_bits_round_trip() {
        let set = PermissionSet::all().without(Permission::Speak);
        assert_eq!(permission_set(bits(set)), set);
        assert_eq!(permission_set(-1), PermissionSet::all());
    }
}
