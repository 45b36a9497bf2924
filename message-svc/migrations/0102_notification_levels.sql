-- Notification levels: how each user wants to hear of new messages in a text channel or a
-- conversation (all, mentions, none). Only explicit choices are stored; a place without a row
-- has its kind's default (channel: mentions, conversation: all). Clients decide what to show;
-- Web Push skips conversations a recipient set to none or mentions (docs/push.md).
--
-- No foreign keys: channels live in community-svc's schema, and a row of a conversation the
-- user left or a channel they no longer see is harmless (listing leaves out conversations the
-- user is no longer a member of; setting a level checks access first).

create table notification_levels (
    user_id uuid not null,
    target_kind text not null check (target_kind in ('channel', 'conversation')),
    target_id uuid not null,
    level text not null check (level in ('all', 'mentions', 'none')),
    updated_at timestamptz not null default now(),
    primary key (user_id, target_kind, target_id)
);
