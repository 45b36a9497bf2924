// Pure state logic of a channel's history: merging pages and live events without duplicates,
// in id order (ids are UUIDv7, so id order is time order), and applying edits, deletions,
// reactions, pins and thread replies. Unit-tested in timeline.test.ts.
import type { Schemas } from '$lib/api/client';

export type Message = Schemas['Message'];
export type ReactionCount = Schemas['ReactionCount'];

/** Compares two message ids (UUIDv7: the lexicographic order of the lowercase form is time order). */
export function compareIds(a: string, b: string): number {
	const x = a.toLowerCase();
	const y = b.toLowerCase();
	return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `existing` and `incoming` merged, oldest first, one entry per id. An incoming message replaces
 * the one it repeats, except that an older copy never overwrites a later edit or deletion.
 */
export function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
	const byId = new Map<string, Message>();
	for (const message of existing) byId.set(message.message_id, message);
	for (const message of incoming) {
		const known = byId.get(message.message_id);
		byId.set(message.message_id, known ? newerCopy(known, message) : message);
	}
	return [...byId.values()].sort((a, b) => compareIds(a.message_id, b.message_id));
}

function newerCopy(known: Message, incoming: Message): Message {
	if (known.deleted && !incoming.deleted) return known;
	const knownEdit = known.edited_at ? Date.parse(known.edited_at) : 0;
	const incomingEdit = incoming.edited_at ? Date.parse(incoming.edited_at) : 0;
	if (knownEdit > incomingEdit) return known;
	// Events carry `me: false` on every reaction: keep what this reader knows about their own.
	const mine = new Set(known.reactions.filter((r) => r.me).map((r) => r.emoji));
	if (mine.size === 0) return incoming;
	return {
		...incoming,
		reactions: incoming.reactions.map((r) => (mine.has(r.emoji) ? { ...r, me: true } : r))
	};
}

/** The message with `messageId` replaced by `update(message)`; the same array when absent. */
export function updateMessage(
	messages: Message[],
	messageId: string,
	update: (message: Message) => Message
): Message[] {
	const at = messages.findIndex((m) => m.message_id === messageId);
	const found = messages[at];
	if (!found) return messages;
	const copy = messages.slice();
	copy[at] = update(found);
	return copy;
}

/** A deleted message as the server shows it: a tombstone without body, reactions or pin. */
export function tombstone(message: Message): Message {
	return { ...message, deleted: true, body: '', reactions: [], attachments: [], pinned: false };
}

/** Applies one reaction added (`delta` 1) or removed (-1); `mine` when the reader did it. */
export function applyReaction(message: Message, emoji: string, delta: 1 | -1, mine: boolean): Message {
	const reactions = message.reactions.map((r) => ({ ...r }));
	let entry = reactions.find((r) => r.emoji === emoji);
	if (!entry) {
		if (delta < 0) return message;
		entry = { emoji, count: 0, me: false };
		reactions.push(entry);
	}
	if (mine && entry.me === (delta > 0)) return message; // already known (the API answered first)
	entry.count += delta;
	if (mine) entry.me = delta > 0;
	return { ...message, reactions: reactions.filter((r) => r.count > 0) };
}

/** A thread root after one more reply. */
export function countThreadReply(root: Message, reply: Message): Message {
	return {
		...root,
		thread: {
			reply_count: (root.thread?.reply_count ?? 0) + 1,
			last_reply_at: reply.created_at
		}
	};
}

/**
 * The id of the first unread message: the first message of someone else after the read marker.
 * Without a marker, the first message of someone else when the channel has unread messages.
 */
export function firstUnreadId(
	messages: Message[],
	lastReadId: string | null | undefined,
	myUserId: string | null,
	unreadCount: number
): string | null {
	if (!lastReadId && unreadCount <= 0) return null;
	for (const message of messages) {
		if (message.deleted || message.author_id === myUserId) continue;
		if (!lastReadId || compareIds(message.message_id, lastReadId) > 0) return message.message_id;
	}
	return null;
}

/** The newest message id, or null. */
export function newestId(messages: Message[]): string | null {
	return messages[messages.length - 1]?.message_id ?? null;
}

/** Whether two neighbouring messages can share one header (same author, within 5 minutes). */
export function continues(previous: Message | undefined, message: Message): boolean {
	if (!previous || previous.deleted || message.deleted) return false;
	if (previous.author_id !== message.author_id || message.reply_to || message.forwarded_from) return false;
	return Date.parse(message.created_at) - Date.parse(previous.created_at) < 5 * 60_000;
}

/** Seconds to wait, read from a slow-mode refusal ("... retry in 12 seconds"), or null. */
export function retryAfterSeconds(errorMessage: string): number | null {
	const match = /retry in (\d+) seconds?/i.exec(errorMessage);
	return match ? Number(match[1]) : null;
}

/** A client nonce for idempotent sends (1 to 64 characters). */
export function newNonce(): string {
	return typeof crypto !== 'undefined' && 'randomUUID' in crypto
		? crypto.randomUUID()
		: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
