//! Community permissions: the named flags and a compact set of them. On the wire a set is a
//! list of names (`["view_channel", "send_messages"]`); inside it is a bit mask. The bit of each
//! flag is its position in [`Permission::ALL`] and never changes (append new flags at the end).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// One thing a member may be allowed to do. See `docs/permissions.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ViewChannel,
    SendMessages,
    ManageMessages,
    ManageChannels,
    ManageGroups,
    ManageRoles,
    ManageCommunity,
    CreateInvites,
    KickMembers,
    BanMembers,
    TimeoutMembers,
    MentionEveryone,
    AttachFiles,
    AddReactions,
    Connect,
    Speak,
    Video,
    ViewAuditLog,
    /// Every permission, in every channel, overwrites notwithstanding.
    Administrator,
}

impl Permission {
    /// Every flag, in bit order.
    pub const ALL: [Permission; 19] = [
        Permission::ViewChannel,
        Permission::SendMessages,
        Permission::ManageMessages,
        Permission::ManageChannels,
        Permission::ManageGroups,
        Permission::ManageRoles,
        Permission::ManageCommunity,
        Permission::CreateInvites,
        Permission::KickMembers,
        Permission::BanMembers,
        Permission::TimeoutMembers,
        Permission::MentionEveryone,
        Permission::AttachFiles,
        Permission::AddReactions,
        Permission::Connect,
        Permission::Speak,
        Permission::Video,
        Permission::ViewAuditLog,
        Permission::Administrator,
    ];

    pub fn bit(self) -> u64 {
        let index = Permission::ALL.iter().position(|p| *p == self).unwrap_or(0);
        1 << index
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    pub fn all() -> Self {
        Permission::ALL.iter().copied().collect()
    }

    /// The set of the given bits; bits of no known flag are dropped.
    pub fn from_bits(bits: u64) -> Self {
        PermissionSet(bits & Self::all().0)
    }

    pub fn bits(self) -> u64 {
        self.0
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn contains_all(self, other: PermissionSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn union(self, other: PermissionSet) -> Self {
        PermissionSet(self.0 | other.0)
    }

    pub fn difference(self, other: PermissionSet) -> Self {
        PermissionSet(self.0 & !other.0)
    }

    pub fn intersection(self, other: PermissionSet) -> Self {
        PermissionSet(self.0 & other.0)
    }

    pub fn with(self, permission: Permission) -> Self {
        PermissionSet(self.0 | permission.bit())
    }

    pub fn without(self, permission: Permission) -> Self {
        PermissionSet(self.0 & !permission.bit())
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        PermissionSet(iter.into_iter().fold(0, |bits, p| bits | p.bit()))
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Permission>::deserialize(deserializer).map(|list| list.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_stable_and_distinct() {
        assert_eq!(Permission::ViewChannel.bit(), 1);
        assert_eq!(Permission::Administrator.bit(), 1 << 18);
        assert_eq!(PermissionSet::all().bits().count_ones(), 19);
    }

    #[test]
    fn sets_travel_as_lists_of_names() {
        let set: PermissionSet = [Permission::SendMessages, Permission::ViewChannel]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&set).unwrap_or_default();
        assert_eq!(json, r#"["view_channel","send_messages"]"#);
        let back: PermissionSet = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, set);
        assert!(serde_json::from_str::<PermissionSet>(r#"["fly"]"#).is_err());
    }
}
