// One open conversation: its history (decrypted on this device, or found among what it kept),
// live messages, sends, read markers and receipts.
import { api, describeError, unwrap } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';
import { session } from '$lib/session/session.svelte';
import { conversations } from '$lib/stores/conversations.svelte';
import { uploadEncrypted } from '$lib/e2e/attachments';
import { isVisible, type Content } from '$lib/e2e/content';
import type { DecryptedMessage, E2eEngine } from '$lib/e2e/engine';
import { newestId, seenBy } from './unread';

const PAGE = 50;

export interface PendingSend {
	id: string;
	label: string;
	error: string | null;
}

export class Thread {
	messages = $state<DecryptedMessage[]>([]);
	pending = $state<PendingSend[]>([]);
	loading = $state(true);
	error = $state<string | null>(null);
	hasOlder = $state(false);
	/** Each member's read marker (members who opted out of receipts are absent). */
	receipts = $state<Record<string, string>>({});
	/** Whether this user shares read receipts (and so sees others'). */
	shareReceipts = $state(true);
	#engine: E2eEngine | null = null;
	#lastMarked: string | null = null;
	#stops: (() => void)[] = [];

	constructor(readonly conversationId: string) {}

	/** The newest own message and who has read it. */
	get seen(): { messageId: string; by: string[] } | null {
		const me = session.userId;
		const last = [...this.messages].reverse().find((m) => m.authorId === me);
		if (!last || !me || !this.shareReceipts) return null;
		return { messageId: last.messageId, by: seenBy(this.receipts, last.messageId, me) };
	}

	async start(): Promise<void> {
		this.#stops.push(
			conversations.onMessage((m) => m.conversationId === this.conversationId && this.#merge([m])),
			conversations.onGap((id) => id === this.conversationId && void this.#loadPage()),
			realtime.on('conversation_read', ({ conversation_id, user_id, message_id }) => {
				if (conversation_id === this.conversationId) this.receipts[user_id] = newestId(this.receipts[user_id], message_id);
			})
		);
		// A `ready` after this view started (a cold start's first connection or a reconnect) may
		// follow messages the live feed did not carry: fetch the latest page again.
		let starting = true;
		this.#stops.push(
			realtime.onReady(() => {
				if (!starting && this.#engine) void this.#loadPage().catch(() => undefined);
			})
		);
		starting = false;
		try {
			this.#engine = await conversations.engine();
			const kept = await this.#engine.kept(this.conversationId);
			this.#merge(kept);
			await this.#loadPage();
			void this.#loadReceipts();
		} catch (err) {
			this.error = describeError(err);
		} finally {
			this.loading = false;
		}
	}

	stop(): void {
		for (const stop of this.#stops) stop();
		this.#stops = [];
	}

	async #loadPage(before?: string): Promise<void> {
		const engine = this.#engine;
		if (!engine) return;
		const page = await unwrap(
			api.GET('/api/v1/conversations/{conversation_id}/messages', {
				params: {
					path: { conversation_id: this.conversationId },
					query: { device_id: engine.device.deviceId, limit: PAGE, ...(before ? { before } : {}) }
				}
			})
		);
		if (!before || page.messages.length > 0) this.hasOlder = page.has_more;
		const opened: DecryptedMessage[] = [];
		for (const message of page.messages) opened.push(await engine.open(message));
		this.#merge(opened);
	}

	loadOlder(): Promise<void> {
		const oldest = this.messages[0]?.messageId;
		return this.#loadPage(oldest).catch((err: unknown) => void (this.error = describeError(err)));
	}

	async #loadReceipts(): Promise<void> {
		const [{ receipts }, setting] = await Promise.all([
			unwrap(
				api.GET('/api/v1/conversations/{conversation_id}/receipts', {
					params: { path: { conversation_id: this.conversationId } }
				})
			),
			unwrap(api.GET('/api/v1/users/@me/settings/read-receipts'))
		]);
		this.shareReceipts = setting.enabled;
		for (const r of receipts) this.receipts[r.user_id] = newestId(this.receipts[r.user_id], r.message_id);
	}

	#merge(incoming: DecryptedMessage[]): void {
		const byId = new Map(this.messages.map((m) => [m.messageId, m]));
		for (const m of incoming) {
			if (!isVisible(m.content)) continue;
			byId.set(m.messageId, m);
		}
		this.messages = [...byId.values()].sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
		this.markRead();
	}

	/** Moves the read marker to the newest message while the conversation is on screen. */
	markRead(): void {
		const newest = this.messages.at(-1);
		if (!newest || typeof document === 'undefined' || document.hidden) return;
		conversations.seen(this.conversationId, newest.createdAt);
		if (this.#lastMarked && this.#lastMarked >= newest.messageId) return;
		this.#lastMarked = newest.messageId;
		void unwrap(
			api.PUT('/api/v1/conversations/{conversation_id}/read', {
				params: { path: { conversation_id: this.conversationId } },
				body: { message_id: newest.messageId }
			})
		).catch((err: unknown) => console.warn('read marker not saved', err));
	}

	/** Encrypts and sends a text. */
	sendText(text: string): Promise<void> {
		return this.#send(text, async () => ({ content: { kind: 'text', text }, attachments: [] }));
	}

	/** Encrypts a file on this device, uploads the ciphertext and sends its key. */
	sendFile(file: File): Promise<void> {
		return this.#send(`Attachment: ${file.name}`, async (engine) => {
			const content = await uploadEncrypted(engine.crypto, file);
			return { content, attachments: [content.attachment_id] };
		});
	}

	async #send(label: string, prepare: (engine: E2eEngine) => Promise<{ content: Content; attachments: string[] }>) {
		const entry: PendingSend = { id: crypto.randomUUID(), label, error: null };
		this.pending.push(entry);
		const at = () => this.pending.findIndex((p) => p.id === entry.id);
		try {
			const engine = this.#engine ?? (await conversations.engine());
			const conversation = conversations.get(this.conversationId);
			if (!conversation) throw new Error('This conversation is not loaded yet.');
			const { content, attachments } = await prepare(engine);
			const sent = await engine.send(conversation, content, attachments);
			this.pending.splice(at(), 1);
			this.#merge([sent]);
		} catch (err) {
			const i = at();
			if (i >= 0) this.pending[i] = { ...entry, error: describeError(err) };
		}
	}

	dismiss(id: string): void {
		this.pending = this.pending.filter((p) => p.id !== id);
	}
}
