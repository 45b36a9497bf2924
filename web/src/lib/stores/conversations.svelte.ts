// End-to-end encrypted conversations: the list (home column) with unread state, this device's
// encryption engine (loaded at start-up; when it cannot load, conversations say so and stay
// closed: never a plaintext fallback), and every incoming message decrypted as it arrives, so
// ratchets advance in order and the plaintext is kept for history.
import { api, describeError, unwrap, type Schemas } from '$lib/api/client';
import { onAppStart } from '$lib/app';
import { realtime } from '$lib/realtime/socket.svelte';
import { session } from '$lib/session/session.svelte';
import { E2eEngine, type DecryptedMessage } from '$lib/e2e/engine';
import { isVisible } from '$lib/e2e/content';
import { loadCrypto } from '$lib/e2e/wasm';
import { isUnread, markSeen, parseMarks, withBaseline, type ReadMarks } from '$lib/components/conversations/unread';

export type Conversation = Schemas['Conversation'];
export type EncryptionState = 'starting' | 'ready' | 'unavailable';

const marksKey = (userId: string) => `chatalot.conversations.seen.${userId}`;

class Conversations {
	byId = $state<Record<string, Conversation>>({});
	loaded = $state(false);
	error = $state<string | null>(null);
	/** Whether this browser can encrypt and decrypt (the wasm module and the device). */
	encryption = $state<EncryptionState>('starting');
	encryptionError = $state<string | null>(null);
	/** The conversation on screen (its messages are seen as they arrive). */
	activeId = $state<string | null>(null);
	#marks = $state<ReadMarks>(parseMarks(null));
	#engine: Promise<E2eEngine> | null = null;
	#engineKey = '';
	#resolveFirst: (engine: Promise<E2eEngine>) => void = () => {};
	#firstEngine = new Promise<Promise<E2eEngine>>((resolve) => (this.#resolveFirst = resolve));
	#listeners = new Set<(message: DecryptedMessage) => void>();

	/** Most recent activity first. */
	get list(): Conversation[] {
		return Object.values(this.byId).sort((a, b) => Date.parse(b.last_activity_at) - Date.parse(a.last_activity_at));
	}

	get(conversationId: string): Conversation | undefined {
		return this.byId[conversationId];
	}

	unread(conversationId: string): boolean {
		const c = this.byId[conversationId];
		return !!c && this.loaded && conversationId !== this.activeId && isUnread(this.#marks, c.conversation_id, c.last_activity_at);
	}

	/** The engine, once this device is ready; rejects with the reason encryption is off. */
	engine(): Promise<E2eEngine> {
		return this.#engine ?? this.#firstEngine.then((engine) => engine);
	}

	#startEngine(userId: string, sessionId: string): void {
		const key = `${userId}/${sessionId}`;
		if (this.#engineKey === key && this.encryption !== 'unavailable') return;
		this.#engineKey = key;
		this.encryption = 'starting';
		this.encryptionError = null;
		this.#engine = loadCrypto().then((crypto) => E2eEngine.start(crypto, userId, sessionId));
		this.#engine.then(
			() => (this.encryption = 'ready'),
			(err: unknown) => {
				this.encryption = 'unavailable';
				this.encryptionError = describeError(err);
			}
		);
		this.#engine.catch(() => undefined);
		this.#resolveFirst(this.#engine);
	}

	async load(): Promise<void> {
		try {
			const { conversations } = await unwrap(api.GET('/api/v1/conversations'));
			this.byId = Object.fromEntries(conversations.map((c) => [c.conversation_id, c]));
			this.#setMarks(withBaseline(this.#loadMarks(), conversations.map((c) => c.last_activity_at)));
			this.loaded = true;
			this.error = null;
		} catch (err) {
			this.error = describeError(err);
		}
	}

	/** Starts (or finds) the conversation with `userIds`; resolves with its id. */
	async startConversation(userIds: string[], name?: string): Promise<string> {
		const me = session.userId;
		const others = [...new Set(userIds)].filter((id) => id !== me);
		if (others.length === 0) throw new Error('Choose at least one other person.');
		const conversation = await unwrap(
			api.POST('/api/v1/conversations', {
				body: { member_ids: others, name: others.length > 1 && name?.trim() ? name.trim() : null }
			})
		);
		this.#put(conversation);
		this.seen(conversation.conversation_id, conversation.last_activity_at);
		return conversation.conversation_id;
	}

	/** The user saw the conversation up to `at`. */
	seen(conversationId: string, at: string): void {
		this.#setMarks(markSeen(this.#marks, conversationId, at));
	}

	/** Calls `handler` with every message decrypted from the live feed. */
	onMessage(handler: (message: DecryptedMessage) => void): () => void {
		this.#listeners.add(handler);
		return () => this.#listeners.delete(handler);
	}

	#put(conversation: Conversation): void {
		this.byId[conversation.conversation_id] = conversation;
	}

	#loadMarks(): ReadMarks {
		return parseMarks(session.userId ? localStorage.getItem(marksKey(session.userId)) : null);
	}

	#setMarks(marks: ReadMarks): void {
		this.#marks = marks;
		if (session.userId) localStorage.setItem(marksKey(session.userId), JSON.stringify(marks));
	}

	async #receive(message: Schemas['ConversationMessage']): Promise<void> {
		const conversation = this.byId[message.conversation_id];
		if (conversation && Date.parse(message.created_at) > Date.parse(conversation.last_activity_at)) {
			conversation.last_activity_at = message.created_at;
		}
		if (!conversation) void this.load();
		let decrypted: DecryptedMessage;
		try {
			decrypted = await (await this.engine()).open(message);
		} catch (err) {
			console.warn('a conversation message could not be processed', err);
			return;
		}
		const visible = isVisible(decrypted.content);
		const mine = decrypted.authorId === session.userId;
		if (mine || !visible || (this.activeId === message.conversation_id && !document.hidden)) {
			this.seen(message.conversation_id, message.created_at);
		}
		for (const listener of this.#listeners) listener(decrypted);
	}

	listen(): void {
		// Start at once from the stored session; `ready` confirms (or replaces) it.
		if (session.current) this.#startEngine(session.current.userId, session.current.sessionId);
		realtime.onReady((ready) => {
			this.#startEngine(ready.user_id, ready.session_id);
			void this.load();
		});
		realtime.on('conversation_updated', ({ conversation }) => this.#put(conversation));
		realtime.on('conversation_left', ({ conversation_id }) => {
			delete this.byId[conversation_id];
		});
		realtime.on('conversation_message_created', ({ message }) => void this.#receive(message));
		realtime.on('devices_changed', ({ user_id, devices }) => {
			void this.#engine?.then((engine) => engine.setDevices(user_id, devices)).catch(() => undefined);
		});
		realtime.on('keys_low', ({ device_id, remaining }) => {
			void this.#engine
				?.then((engine) => (engine.device.deviceId === device_id ? engine.refill(remaining) : undefined))
				.catch((err: unknown) => console.warn('one-time prekeys could not be refilled', err));
		});
		realtime.on('resume_gap', ({ conversation_id }) => {
			if (conversation_id) for (const l of this.#gapListeners) l(conversation_id);
		});
	}

	#gapListeners = new Set<(conversationId: string) => void>();

	/** Calls `handler` when the server could not replay a conversation's missed messages. */
	onGap(handler: (conversationId: string) => void): () => void {
		this.#gapListeners.add(handler);
		return () => this.#gapListeners.delete(handler);
	}
}

export const conversations = new Conversations();
onAppStart(() => conversations.listen());
