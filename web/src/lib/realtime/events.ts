// The WebSocket protocol's frames (see shared/src/contracts/gateway.rs). Payload types are
// generated from the OpenAPI document, which lists every event payload among its schemas.
import type { Schemas } from '$lib/api/client';

export interface EventMap {
	user_updated: Schemas['UserUpdated'];
	devices_changed: Schemas['DevicesChanged'];
	keys_low: Schemas['KeysLow'];
	attachment_uploaded: Schemas['AttachmentUploaded'];
	presence_updated: Schemas['PresenceUpdated'];
	call_participant_joined: Schemas['CallParticipantJoined'];
	call_participant_updated: Schemas['CallParticipantUpdated'];
	call_participant_left: Schemas['CallParticipantLeft'];
	call_signal: Schemas['CallSignal'];
	community_updated: Schemas['CommunityUpdated'];
	community_deleted: Schemas['CommunityDeleted'];
	group_changed: Schemas['GroupChanged'];
	group_deleted: Schemas['GroupDeleted'];
	groups_reordered: Schemas['GroupsReordered'];
	channel_changed: Schemas['ChannelChanged'];
	channel_deleted: Schemas['ChannelDeleted'];
	role_changed: Schemas['RoleChanged'];
	role_deleted: Schemas['RoleDeleted'];
	overwrite_changed: Schemas['OverwriteChanged'];
	overwrite_deleted: Schemas['OverwriteDeleted'];
	member_changed: Schemas['MemberChanged'];
	member_removed: Schemas['MemberRemoved'];
	community_joined: Schemas['CommunityJoined'];
	community_removed: Schemas['CommunityRemoved'];
	community_view_changed: Schemas['CommunityViewChanged'];
	conversation_message_created: Schemas['ConversationMessageCreated'];
	conversation_read: Schemas['ConversationRead'];
	conversation_updated: Schemas['ConversationUpdated'];
	conversation_left: Schemas['ConversationLeft'];
	message_created: Schemas['MessageCreated'];
	message_edited: Schemas['MessageEdited'];
	message_deleted: Schemas['MessageDeleted'];
	reaction_added: Schemas['ReactionAdded'];
	reaction_removed: Schemas['ReactionRemoved'];
	message_pinned: Schemas['MessagePinned'];
	message_unpinned: Schemas['MessageUnpinned'];
	typing_started: Schemas['TypingStarted'];
	read_state_updated: Schemas['ReadStateUpdated'];
	resume_gap: Schemas['ResumeGap'];
	notification_level_updated: Schemas['NotificationLevelUpdated'];
}

export type EventName = keyof EventMap;

export interface Ready {
	user_id: string;
	session_id: string;
	communities: Schemas['CommunityView'][];
	read_states: Schemas['ChannelReadState'][];
	presences: Schemas['Presence'][];
}

export interface CommandReply {
	ref: string;
	ok?: unknown;
	error?: Schemas['ApiError'];
}

export type ServerFrame =
	| { op: 'hello'; d: { heartbeat_interval_ms: number } }
	| { op: 'ready'; d: Ready }
	| { op: 'heartbeat_ack' }
	| { op: 'resumed' }
	| { op: 'error'; d: Schemas['ApiError'] }
	| { op: 'reply'; d: CommandReply }
	| { [K in EventName]: { op: 'event'; t: K; d: EventMap[K] } }[EventName];

/** Close codes (shared/src/contracts/gateway.rs `close`). */
export const Close = {
	DECODE_ERROR: 4002,
	NOT_AUTHENTICATED: 4003,
	AUTHENTICATION_FAILED: 4004,
	SESSION_REVOKED: 4005,
	HEARTBEAT_TIMEOUT: 4006,
	SLOW_CONSUMER: 4008,
	RECONNECT: 4009
} as const;
