-- The status each user chose (online, idle, dnd, invisible) and their custom status. What others
-- see is computed by gateways in Redis from this and the user's live connections; keeping the
-- choice here means an invisible user never shows online after Redis loses its data. Users
-- without a row have the default: online, no custom status.

create table presence_settings (
    user_id uuid primary key references users (user_id) on delete cascade,
    status text not null default 'online'
        check (status in ('online', 'idle', 'dnd', 'invisible')),
    custom_text text check (char_length(custom_text) between 1 and 128),
    custom_expires_at timestamptz,
    -- Incremented by every change: caches keep the highest version they have seen.
    version bigint not null default 1 check (version >= 1),
    updated_at timestamptz not null default now(),
    check (custom_expires_at is null or custom_text is not null)
);
