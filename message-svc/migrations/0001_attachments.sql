-- Files uploaded through the gateway. The bytes live in the object store under storage_key;
-- this row says who uploaded them and, once a message links them, where they belong.
create table attachments (
    attachment_id uuid primary key,
    uploader_id uuid not null,
    storage_key text not null unique,
    filename text not null,
    content_type text not null,
    size_bytes bigint not null check (size_bytes >= 0),
    width integer,
    height integer,
    created_at timestamptz not null default now(),
    -- Set together when a message links the attachment (exactly one of channel/conversation).
    message_id uuid,
    channel_id uuid,
    conversation_id uuid,
    linked_at timestamptz,
    -- Set when the orphan sweeper has claimed it for deletion.
    orphaned_at timestamptz,
    check ((message_id is null) = (linked_at is null)),
    check (message_id is null or ((channel_id is null) <> (conversation_id is null)))
);

create index attachments_message on attachments (message_id) where message_id is not null;
create index attachments_unlinked on attachments (created_at) where message_id is null;
