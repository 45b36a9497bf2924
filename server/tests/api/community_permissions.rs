//! The permission matrix: each row builds a fresh community (roles, overwrites, a private group,
//! a read-only channel, a timeout, as the row says), performs one action through the API as a
//! test member (or the owner), and expects it allowed or refused.
//!
//! What a member may do in a channel is read from the `permissions` of that channel in their
//! view (`GET /communities/{id}/view`); sending messages itself does not exist yet.

use crate::helpers::*;
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// Where an overwrite is set.
#[derive(Clone, Copy, Debug)]
enum Level {
    Group,
    Channel,
}

/// Whom an overwrite is for.
#[derive(Clone, Copy, Debug)]
enum Subject {
    /// The `@everyone` role (its id is the community id).
    Everyone,
    /// One of the row's roles, by index.
    Role(usize),
    /// The test member.
    Tester,
    /// The owner, as a member.
    Owner,
}

#[derive(Clone, Copy, Debug)]
struct Ow {
    level: Level,
    subject: Subject,
    allow: &'static [&'static str],
    deny: &'static [&'static str],
}

const fn ow(
    level: Level,
    subject: Subject,
    allow: &'static [&'static str],
    deny: &'static [&'static str],
) -> Ow {
    Ow {
        level,
        subject,
        allow,
        deny,
    }
}

/// Who performs the action.
#[derive(Clone, Copy, Debug)]
enum Actor {
    Tester,
    Owner,
}

#[derive(Clone, Copy, Debug)]
enum Action {
    /// Create a channel in the row's group (needs `manage_channels`).
    CreateChannel,
    /// Kick the target member (needs `kick_members` and a higher highest role).
    KickTarget,
    /// Kick the owner.
    KickOwner,
    /// The row's group is in the actor's view.
    SeesGroup,
    /// The row's channel is in the actor's view with this permission.
    ChannelHas(&'static str),
}

#[derive(Clone, Copy, Debug)]
struct Row {
    what: &'static str,
    /// The permissions of `@everyone`.
    everyone: &'static [&'static str],
    /// Roles created for the row: (permissions, position).
    roles: &'static [(&'static [&'static str], i32)],
    /// Indexes into `roles` given to the test member and to the target.
    tester: &'static [usize],
    target: &'static [usize],
    overwrites: &'static [Ow],
    private_group: bool,
    read_only: bool,
    timed_out: bool,
    actor: Actor,
    action: Action,
    allowed: bool,
}

const VIEW: &str = "view_channel";
const SEND: &str = "send_messages";
const REACT: &str = "add_reactions";
const EVERYONE: &[&str] = &[VIEW, SEND, REACT];

const BASE: Row = Row {
    what: "",
    everyone: EVERYONE,
    roles: &[],
    tester: &[],
    target: &[],
    overwrites: &[],
    private_group: false,
    read_only: false,
    timed_out: false,
    actor: Actor::Tester,
    action: Action::ChannelHas(VIEW),
    allowed: true,
};

use Action::*;
use Level::{Channel, Group};
use Subject::{Everyone, Owner, Role, Tester};

// A table, read row by row: one row per line.
#[rustfmt::skip]
const ROWS: &[Row] = &[
    // Community-wide permissions and the role hierarchy.
    Row { what: "no role: creating a channel is refused", action: CreateChannel, allowed: false, ..BASE },
    Row { what: "a role with manage_channels may create channels", roles: &[(&["manage_channels"], 1)], tester: &[0], action: CreateChannel, allowed: true, ..BASE },
    Row { what: "@everyone with manage_channels lets every member create channels", everyone: &[VIEW, SEND, "manage_channels"], action: CreateChannel, allowed: true, ..BASE },
    Row { what: "manage_roles is not manage_channels", roles: &[(&["manage_roles"], 1)], tester: &[0], action: CreateChannel, allowed: false, ..BASE },
    Row { what: "kick_members above the target: kick allowed", roles: &[(&["kick_members"], 2), (&[], 1)], tester: &[0], target: &[1], action: KickTarget, allowed: true, ..BASE },
    Row { what: "kick_members below the target: kick refused", roles: &[(&["kick_members"], 1), (&[], 2)], tester: &[0], target: &[1], action: KickTarget, allowed: false, ..BASE },
    Row { what: "kick_members with the same highest role as the target: kick refused", roles: &[(&["kick_members"], 1)], tester: &[0], target: &[0], action: KickTarget, allowed: false, ..BASE },
    Row { what: "kick_members against a member without roles: kick allowed", roles: &[(&["kick_members"], 1)], tester: &[0], action: KickTarget, allowed: true, ..BASE },
    Row { what: "above the target without kick_members: kick refused", roles: &[(&["ban_members"], 2), (&[], 1)], tester: &[0], target: &[1], action: KickTarget, allowed: false, ..BASE },
    Row { what: "kick_members from a low role, rank from the highest role: kick allowed", roles: &[(&["kick_members"], 1), (&[], 3), (&[], 2)], tester: &[0, 1], target: &[2], action: KickTarget, allowed: true, ..BASE },
    Row { what: "administrator below the target: kick refused", roles: &[(&["administrator"], 1), (&[], 2)], tester: &[0], target: &[1], action: KickTarget, allowed: false, ..BASE },
    Row { what: "administrator above the target: kick allowed", roles: &[(&["administrator"], 2), (&[], 1)], tester: &[0], target: &[1], action: KickTarget, allowed: true, ..BASE },
    Row { what: "nobody kicks the owner, administrators included", roles: &[(&["administrator", "kick_members"], 5)], tester: &[0], action: KickOwner, allowed: false, ..BASE },
    Row { what: "the owner kicks a member whatever their roles", roles: &[(&["administrator"], 5)], target: &[0], actor: Actor::Owner, action: KickTarget, allowed: true, ..BASE },
    // Allow and deny on one channel.
    Row { what: "@everyone denied view_channel on the channel: hidden", overwrites: &[ow(Channel, Everyone, &[], &[VIEW])], action: ChannelHas(VIEW), allowed: false, ..BASE },
    Row { what: "a role allow beats the @everyone deny on the same channel", roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Channel, Everyone, &[], &[VIEW]), ow(Channel, Role(0), &[VIEW], &[])], action: ChannelHas(VIEW), allowed: true, ..BASE },
    Row { what: "a role deny on the channel removes a base permission", roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Channel, Role(0), &[], &[SEND])], action: ChannelHas(SEND), allowed: false, ..BASE },
    Row { what: "a role deny leaves the other permissions", roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Channel, Role(0), &[], &[SEND])], action: ChannelHas(REACT), allowed: true, ..BASE },
    Row { what: "of two roles' overwrites, allow beats deny (whatever their order)", roles: &[(&[], 1), (&[], 2)], tester: &[0, 1], overwrites: &[ow(Channel, Role(0), &[SEND], &[]), ow(Channel, Role(1), &[], &[SEND])], action: ChannelHas(SEND), allowed: true, ..BASE },
    Row { what: "a role allow on the channel grants what the roles lack", everyone: &[VIEW], roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Channel, Role(0), &[SEND], &[])], action: ChannelHas(SEND), allowed: true, ..BASE },
    Row { what: "a role overwrite does not reach members without the role", everyone: &[VIEW], roles: &[(&[], 1)], overwrites: &[ow(Channel, Role(0), &[SEND], &[])], action: ChannelHas(SEND), allowed: false, ..BASE },
    // Member overwrites beat role overwrites.
    Row { what: "a member allow beats a role deny", roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Channel, Role(0), &[], &[SEND]), ow(Channel, Tester, &[SEND], &[])], action: ChannelHas(SEND), allowed: true, ..BASE },
    Row { what: "a member deny beats a role allow", everyone: &[VIEW], roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Channel, Role(0), &[SEND], &[]), ow(Channel, Tester, &[], &[SEND])], action: ChannelHas(SEND), allowed: false, ..BASE },
    Row { what: "a member deny beats an @everyone allow", everyone: &[VIEW], overwrites: &[ow(Channel, Everyone, &[SEND], &[]), ow(Channel, Tester, &[], &[SEND])], action: ChannelHas(SEND), allowed: false, ..BASE },
    // Channel overwrites beat group overwrites.
    Row { what: "a group overwrite applies to the group's channels", overwrites: &[ow(Group, Everyone, &[], &[SEND])], action: ChannelHas(SEND), allowed: false, ..BASE },
    Row { what: "a channel allow beats a group deny", overwrites: &[ow(Group, Everyone, &[], &[VIEW]), ow(Channel, Everyone, &[VIEW], &[])], action: ChannelHas(VIEW), allowed: true, ..BASE },
    Row { what: "a channel deny beats a group allow", everyone: &[VIEW], roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Group, Role(0), &[SEND], &[]), ow(Channel, Role(0), &[], &[SEND])], action: ChannelHas(SEND), allowed: false, ..BASE },
    Row { what: "a channel member allow beats a group member deny", overwrites: &[ow(Group, Tester, &[], &[SEND]), ow(Channel, Tester, &[SEND], &[])], action: ChannelHas(SEND), allowed: true, ..BASE },
    // Administrator.
    Row { what: "administrator sees a channel denied to @everyone, its role and itself", roles: &[(&["administrator"], 1)], tester: &[0], overwrites: &[ow(Channel, Everyone, &[], &[VIEW, SEND]), ow(Channel, Role(0), &[], &[VIEW, SEND]), ow(Channel, Tester, &[], &[VIEW, SEND])], action: ChannelHas(VIEW), allowed: true, ..BASE },
    Row { what: "administrator sends where every overwrite denies it", roles: &[(&["administrator"], 1)], tester: &[0], overwrites: &[ow(Channel, Everyone, &[], &[VIEW, SEND]), ow(Channel, Role(0), &[], &[VIEW, SEND]), ow(Channel, Tester, &[], &[VIEW, SEND])], action: ChannelHas(SEND), allowed: true, ..BASE },
    Row { what: "administrator may create channels", roles: &[(&["administrator"], 1)], tester: &[0], action: CreateChannel, allowed: true, ..BASE },
    // Owner.
    Row { what: "the owner sees a channel whose overwrites deny them", actor: Actor::Owner, everyone: &[], overwrites: &[ow(Channel, Everyone, &[], &[VIEW]), ow(Channel, Owner, &[], &[VIEW, SEND])], action: ChannelHas(SEND), allowed: true, ..BASE },
    Row { what: "the owner creates channels without any role", actor: Actor::Owner, everyone: &[], action: CreateChannel, allowed: true, ..BASE },
    // Private groups.
    Row { what: "a private group is hidden from a plain member", private_group: true, action: SeesGroup, allowed: false, ..BASE },
    Row { what: "a private group's channels are hidden from a plain member", private_group: true, action: ChannelHas(VIEW), allowed: false, ..BASE },
    Row { what: "a role allowed view_channel on a private group sees it", private_group: true, roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Group, Role(0), &[VIEW], &[])], action: SeesGroup, allowed: true, ..BASE },
    Row { what: "a role allowed view_channel on a private group sees its channels", private_group: true, roles: &[(&[], 1)], tester: &[0], overwrites: &[ow(Group, Role(0), &[VIEW], &[])], action: ChannelHas(VIEW), allowed: true, ..BASE },
    Row { what: "a private group stays hidden from members without the allowed role", private_group: true, roles: &[(&[], 1)], overwrites: &[ow(Group, Role(0), &[VIEW], &[])], action: SeesGroup, allowed: false, ..BASE },
    Row { what: "a member overwrite opens a private group", private_group: true, overwrites: &[ow(Group, Tester, &[VIEW], &[])], action: SeesGroup, allowed: true, ..BASE },
    Row { what: "administrators see private groups", private_group: true, roles: &[(&["administrator"], 1)], tester: &[0], action: SeesGroup, allowed: true, ..BASE },
    Row { what: "the owner sees private groups", private_group: true, actor: Actor::Owner, action: SeesGroup, allowed: true, ..BASE },
    // Read-only channels.
    Row { what: "a read-only channel refuses send_messages to a plain member", read_only: true, action: ChannelHas(SEND), allowed: false, ..BASE },
    Row { what: "a read-only channel stays visible", read_only: true, action: ChannelHas(VIEW), allowed: true, ..BASE },
    Row { what: "manage_messages may post in a read-only channel", read_only: true, roles: &[(&["manage_messages"], 1)], tester: &[0], action: ChannelHas(SEND), allowed: true, ..BASE },
    // Timeouts.
    Row { what: "a timed-out member may not send", timed_out: true, action: ChannelHas(SEND), allowed: false, ..BASE },
    Row { what: "a timed-out member may not react", timed_out: true, action: ChannelHas(REACT), allowed: false, ..BASE },
    Row { what: "a timed-out member still sees the channel", timed_out: true, action: ChannelHas(VIEW), allowed: true, ..BASE },
];

/// The three people of every row.
struct Cast {
    owner: Session,
    tester: Session,
    target: Session,
}

/// Builds the row's community and performs its action; `Ok(allowed)` or `Err(surprise)`.
async fn run(app: &TestApp, cast: &Cast, index: usize, row: &Row) -> Result<bool, String> {
    let owner = &cast.owner;
    let token = owner.access_token.as_str();
    let community_id = app
        .create_community(owner, &format!("matrix {index}"), "public")
        .await;
    let base = format!("/api/v1/communities/{community_id}");
    app.ok(
        Method::PATCH,
        &format!("{base}/roles/{community_id}"),
        token,
        Some(json!({ "permissions": row.everyone })),
    )
    .await;
    let visibility = if row.private_group {
        "private"
    } else {
        "public"
    };
    let group_id = app
        .create_group(owner, community_id, "matrix group", visibility)
        .await;
    let channel_id = app
        .create_channel(
            owner,
            community_id,
            group_id,
            "matrix-channel",
            json!({ "read_only": row.read_only }),
        )
        .await;
    app.join_community(&cast.tester, community_id).await;
    app.join_community(&cast.target, community_id).await;

    let mut role_ids = Vec::new();
    for (i, (permissions, position)) in row.roles.iter().enumerate() {
        let role = app
            .ok(
                Method::POST,
                &format!("{base}/roles"),
                token,
                Some(json!({ "name": format!("role {i}"), "permissions": permissions, "position": position })),
            )
            .await;
        role_ids.push(uuid_of(&role["role_id"]));
    }
    for (user, roles) in [(&cast.tester, row.tester), (&cast.target, row.target)] {
        for &role in roles {
            app.ok(
                Method::PUT,
                &format!("{base}/members/{}/roles/{}", user.user_id, role_ids[role]),
                token,
                None,
            )
            .await;
        }
    }
    for overwrite in row.overwrites {
        let target = match overwrite.level {
            Level::Group => format!("groups/{group_id}"),
            Level::Channel => format!("channels/{channel_id}"),
        };
        let subject = match overwrite.subject {
            Subject::Everyone => format!("role/{community_id}"),
            Subject::Role(i) => format!("role/{}", role_ids[i]),
            Subject::Tester => format!("member/{}", cast.tester.user_id),
            Subject::Owner => format!("member/{}", owner.user_id),
        };
        app.ok(
            Method::PUT,
            &format!("{base}/{target}/overwrites/{subject}"),
            token,
            Some(json!({ "allow": overwrite.allow, "deny": overwrite.deny })),
        )
        .await;
    }
    if row.timed_out {
        app.ok(
            Method::PUT,
            &format!("{base}/members/{}/timeout", cast.tester.user_id),
            token,
            Some(json!({ "until": Utc::now() + Duration::hours(1) })),
        )
        .await;
    }

    let actor = match row.actor {
        Actor::Tester => &cast.tester,
        Actor::Owner => owner,
    };
    let refused_or_done = |reply: Reply, done: u16| match (reply.status, reply.code()) {
        (status, _) if status == done => Ok(true),
        (403, "forbidden") => Ok(false),
        (status, _) => Err(format!("unexpected answer {status} {}", reply.body)),
    };
    match row.action {
        Action::CreateChannel => {
            let reply = app
                .send(
                    Method::POST,
                    &format!("{base}/channels"),
                    Some(&actor.access_token),
                    Some(json!({ "group_id": group_id, "name": "made-by-actor", "kind": "text" })),
                )
                .await;
            refused_or_done(reply, 201)
        }
        Action::KickTarget | Action::KickOwner => {
            let victim = match row.action {
                Action::KickOwner => owner.user_id,
                _ => cast.target.user_id,
            };
            let reply = app
                .send(
                    Method::POST,
                    &format!("{base}/members/{victim}/kick"),
                    Some(&actor.access_token),
                    None,
                )
                .await;
            refused_or_done(reply, 204)
        }
        Action::SeesGroup => {
            let view = app.community_view(actor, community_id).await;
            Ok(view["groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["group_id"] == group_id.to_string()))
        }
        Action::ChannelHas(permission) => {
            let view = app.community_view(actor, community_id).await;
            Ok(channel_permissions(&view, channel_id).contains(&json!(permission)))
        }
    }
}

/// The channel's permissions in a view; empty when the channel is not in it.
fn channel_permissions(view: &Value, channel_id: Uuid) -> Vec<Value> {
    view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"]["channel_id"] == channel_id.to_string())
        .map(|c| c["permissions"].as_array().unwrap().clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_permission_matrix_holds() {
    let app = spawn_app().await;
    let cast = Cast {
        owner: app.register("matrix_owner").await,
        tester: app.register("matrix_tester").await,
        target: app.register("matrix_target").await,
    };
    let mut failures = Vec::new();
    for (index, row) in ROWS.iter().enumerate() {
        let expected = if row.allowed { "allowed" } else { "refused" };
        match run(&app, &cast, index, row).await {
            Ok(allowed) if allowed == row.allowed => {}
            Ok(allowed) => failures.push(format!(
                "row {index} \"{}\": expected {expected}, was {}",
                row.what,
                if allowed { "allowed" } else { "refused" }
            )),
            Err(surprise) => failures.push(format!(
                "row {index} \"{}\": expected {expected}, {surprise}",
                row.what
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}
