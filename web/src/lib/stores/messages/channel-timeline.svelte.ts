// One open text channel: its history (pages loaded backwards), live events, typing, the
// "new messages" marker and marking the channel read. A component creates one per channel it
// shows and calls `start()` (returns the cleanup) while mounted.
import { describeError, type Schemas } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';
import { readStates } from '$lib/stores/read-states.svelte';
import { session } from '$lib/session/session.svelte';
import {
	applyReaction,
	compareIds,
	countThreadReply,
	firstUnreadId,
	mergeMessages,
	newestId,
	tombstone,
	updateMessage,
	type Message
} from './timeline';
import { TypingSet } from './typing';
import * as rest from './api';
import type { Draft } from './api';

export const PAGE_SIZE = 50;

export class ChannelTimeline {
	messages = $state.raw<Message[]>([]);
	hasOlder = $state(true);
	loadingOlder = $state(false);
	loaded = $state(false);
	error = $state<string | null>(null);
	/** Where the "New messages" separator goes (fixed when the channel opens). */
	unreadFrom = $state<string | null>(null);
	typingUsers = $state.raw<string[]>([]);
	/** Replies of the open thread, if any. */
	thread = $state.raw<{ rootId: string; messages: Message[] } | null>(null);

	#typing = new TypingSet();
	#typingTimer: ReturnType<typeof setInterval> | null = null;
	#markedRead: string | null = null;
	#readTimer: ReturnType<typeof setTimeout> | null = null;
	#started = false;
	#countedReplies = new Set<string>();

	constructor(readonly channelId: string) {}

	get myUserId(): string | null {
		return session.userId;
	}

	/** Subscribes to the channel's events and loads the latest page; returns the cleanup. */
	start(): () => void {
		const mine = (channelId: string) => channelId === this.channelId;
		const offs = [
			realtime.on('message_created', ({ message }) => mine(message.channel_id) && this.#created(message)),
			realtime.on('message_edited', ({ message }) => mine(message.channel_id) && this.#replace(message)),
			realtime.on('message_deleted', ({ channel_id, message_id }) => {
				if (mine(channel_id)) this.#update(message_id, tombstone);
			}),
			realtime.on('reaction_added', (e) => mine(e.channel_id) && this.#react(e.message_id, e.emoji, 1, e.user_id)),
			realtime.on('reaction_removed', (e) => mine(e.channel_id) && this.#react(e.message_id, e.emoji, -1, e.user_id)),
			realtime.on('message_pinned', (e) => {
				if (mine(e.channel_id)) this.#update(e.message_id, (m) => ({ ...m, pinned: true }));
			}),
			realtime.on('message_unpinned', (e) => {
				if (mine(e.channel_id)) this.#update(e.message_id, (m) => ({ ...m, pinned: false }));
			}),
			realtime.on('typing_started', ({ channel_id, user_id, expires_at }) => {
				if (!mine(channel_id)) return;
				this.#typing.start(user_id, Date.parse(expires_at));
				this.#refreshTyping();
			}),
			realtime.on('resume_gap', ({ channel_id }) => {
				if (channel_id && mine(channel_id)) void this.reload();
			}),
			// A `ready` after this view started (the first connection of a cold start, or a
			// reconnect) may follow messages, edits or deletions the live feed did not carry yet:
			// refresh. (onReady calls back at once when a connection is already up.)
			realtime.onReady(() => {
				if (this.#started) void this.reload();
			})
		];
		this.#started = true;
		this.#typingTimer = setInterval(() => this.#refreshTyping(), 1000);
		const state = readStates.of(this.channelId);
		void this.#loadLatest(state?.last_read_message_id ?? null, state?.unread_count ?? 0);
		return () => {
			for (const off of offs) off();
			if (this.#typingTimer) clearInterval(this.#typingTimer);
			if (this.#readTimer) clearTimeout(this.#readTimer);
		};
	}

	async #loadLatest(lastRead: string | null, unread: number): Promise<void> {
		try {
			const page = await this.#page({ limit: PAGE_SIZE });
			this.messages = mergeMessages([], page);
			this.hasOlder = page.length === PAGE_SIZE;
			this.unreadFrom = firstUnreadId(this.messages, lastRead, this.myUserId, unread);
			this.loaded = true;
			this.error = null;
			this.#trackResume();
		} catch (err) {
			this.error = describeError(err);
		}
	}

	/** Refetches the latest page (after a gap or a reconnect), keeping the marker. */
	async reload(): Promise<void> {
		try {
			const page = await this.#page({ limit: PAGE_SIZE });
			const oldestNew = page[0]?.message_id;
			const newestShown = newestId(this.messages);
			// Keep the pages already shown when the fresh page reaches back to them.
			const overlaps =
				page.length < PAGE_SIZE ||
				(!!oldestNew && !!newestShown && compareIds(newestShown, oldestNew) >= 0);
			if (overlaps) {
				const from = oldestNew ?? '';
				// Messages of the range the page covers that it no longer lists were deleted for good.
				const kept = this.messages.filter((m) => compareIds(m.message_id, from) < 0);
				this.messages = mergeMessages(kept, page);
				if (page.length < PAGE_SIZE) this.hasOlder = false;
			} else {
				this.messages = mergeMessages([], page);
				this.hasOlder = true;
			}
			this.error = null;
			this.#trackResume();
		} catch (err) {
			this.error = describeError(err);
		}
	}

	/** Loads the page before the oldest message shown. */
	async loadOlder(): Promise<void> {
		if (this.loadingOlder || !this.hasOlder || !this.loaded) return;
		const oldest = this.messages[0]?.message_id;
		if (!oldest) {
			this.hasOlder = false;
			return;
		}
		this.loadingOlder = true;
		try {
			const page = await this.#page({ before: oldest, limit: PAGE_SIZE });
			this.messages = mergeMessages(this.messages, page);
			this.hasOlder = page.length === PAGE_SIZE;
		} catch (err) {
			this.error = describeError(err);
		} finally {
			this.loadingOlder = false;
		}
	}

	#page(query: { before?: string; limit: number }): Promise<Message[]> {
		return rest.fetchPage(this.channelId, query);
	}

	#trackResume(): void {
		const newest = newestId(this.messages);
		if (newest) realtime.resume.seen('channel', this.channelId, newest);
	}

	#created(message: Message): void {
		this.#typing.stop(message.author_id);
		this.#refreshTyping();
		if (message.thread_root_id) {
			if (!this.#countedReplies.has(message.message_id)) {
				this.#countedReplies.add(message.message_id);
				this.#update(message.thread_root_id, (root) => countThreadReply(root, message));
			}
			if (this.thread?.rootId === message.thread_root_id) {
				this.thread = { ...this.thread, messages: mergeMessages(this.thread.messages, [message]) };
			}
			return;
		}
		this.messages = mergeMessages(this.messages, [message]);
	}

	#replace(message: Message): void {
		if (message.thread_root_id && this.thread?.rootId === message.thread_root_id) {
			this.thread = { ...this.thread, messages: mergeMessages(this.thread.messages, [message]) };
		}
		if (this.messages.some((m) => m.message_id === message.message_id)) {
			this.messages = mergeMessages(this.messages, [message]);
		}
	}

	#update(messageId: string, update: (m: Message) => Message): void {
		this.messages = updateMessage(this.messages, messageId, update);
		if (this.thread) {
			const messages = updateMessage(this.thread.messages, messageId, update);
			if (messages !== this.thread.messages) this.thread = { ...this.thread, messages };
		}
	}

	#react(messageId: string, emoji: string, delta: 1 | -1, userId: string): void {
		const mine = userId === this.myUserId;
		this.#update(messageId, (m) => applyReaction(m, emoji, delta, mine));
	}

	#refreshTyping(): void {
		const now = this.#typing.active(Date.now(), this.myUserId);
		if (now.join() !== this.typingUsers.join()) this.typingUsers = now;
	}

	/** Moves the read marker to the newest message (debounced; only forward). */
	markRead(): void {
		const newest = newestId(this.messages);
		if (!newest || (this.#markedRead && compareIds(newest, this.#markedRead) <= 0)) return;
		const state = readStates.of(this.channelId);
		if (state?.last_read_message_id && compareIds(newest, state.last_read_message_id) <= 0 && !state.unread_count) {
			return;
		}
		if (this.#readTimer) clearTimeout(this.#readTimer);
		this.#readTimer = setTimeout(() => void this.#sendRead(newest), 300);
	}

	async #sendRead(messageId: string): Promise<void> {
		try {
			const state = await rest.markRead(this.channelId, messageId);
			this.#markedRead = messageId;
			readStates.apply([state]);
		} catch (err) {
			this.error = describeError(err);
		}
	}

	// --- actions (errors are thrown for the caller to show) ---

	async send(draft: Draft): Promise<Message> {
		const message = await rest.sendMessage(this.channelId, draft);
		this.#created(message);
		return message;
	}

	async edit(messageId: string, body: string): Promise<void> {
		this.#replace(await rest.editMessage(this.#ids(messageId), body));
	}

	async remove(messageId: string): Promise<void> {
		await rest.deleteMessage(this.#ids(messageId));
		this.#update(messageId, tombstone);
	}

	/** Adds the reader's reaction, or takes it back when they already reacted with it. */
	async toggleReaction(message: Message, emoji: string): Promise<void> {
		const on = !message.reactions.some((r) => r.emoji === emoji && r.me);
		await rest.setReaction({ ...this.#ids(message.message_id), emoji }, on);
		this.#react(message.message_id, emoji, on ? 1 : -1, this.myUserId ?? '');
	}

	async setPinned(messageId: string, pinned: boolean): Promise<void> {
		await rest.setPin(this.#ids(messageId), pinned);
		this.#update(messageId, (m) => ({ ...m, pinned }));
	}

	typing(): Promise<void> {
		return rest.startTyping(this.channelId);
	}

	#ids(messageId: string): { channel_id: string; message_id: string } {
		return { channel_id: this.channelId, message_id: messageId };
	}

	/** Opens a thread: loads its replies (the latest 100). */
	async openThread(rootId: string): Promise<void> {
		this.thread = { rootId, messages: [] };
		const replies = await rest.fetchThread(this.channelId, rootId);
		if (this.thread?.rootId === rootId) {
			this.thread = { rootId, messages: mergeMessages(this.thread.messages, replies) };
		}
	}

	closeThread(): void {
		this.thread = null;
	}

	find(messageId: string): Message | undefined {
		return this.messages.find((m) => m.message_id === messageId) ?? this.thread?.messages.find((m) => m.message_id === messageId);
	}
}

export type { Message, Draft };
export type Attachment = Schemas['Attachment'];
