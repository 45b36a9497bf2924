// The live connection to a gateway: hello, identify (with resume points after a reconnect),
// heartbeats, events to subscribers, call commands answered by `reply`, and reconnection with
// backoff. Close codes follow shared/src/contracts/gateway.rs.
import { session } from '$lib/session/session.svelte';
import { Close, type CommandReply, type EventMap, type EventName, type Ready, type ServerFrame } from './events';
import { ResumePoints, backoffMs } from './resume';
import { socketUrl } from '$lib/desktop/server.svelte';

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'signed_out';

type Handler<K extends EventName> = (payload: EventMap[K]) => void;
const REPLY_TIMEOUT_MS = 15_000;

class Realtime {
	/** Where the connection stands; the offline indicator and the UI read it. */
	state = $state<ConnectionState>('idle');
	/** The last `ready` snapshot (stores rebuild from it after each reconnect). */
	ready = $state.raw<Ready | null>(null);

	readonly resume = new ResumePoints();
	#socket: WebSocket | null = null;
	#heartbeat: ReturnType<typeof setInterval> | null = null;
	#retry: ReturnType<typeof setTimeout> | null = null;
	#attempt = 0;
	#wanted = false;
	#handlers = new Map<string, Set<(payload: never) => void>>();
	#readyHandlers = new Set<(ready: Ready) => void>();
	#replies = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
	#nextRef = 1;

	constructor() {
		if (typeof window === 'undefined') return;
		window.addEventListener('online', () => this.#wanted && this.#reconnectNow());
		// A socket may outlive a lost network for a while without noticing; drop it at once, and
		// resume from the last seen messages when the network is back.
		window.addEventListener('offline', () => this.#dropForOffline());
	}

	/** Connects (and keeps reconnecting) while a session exists. */
	start(): void {
		this.#wanted = true;
		if (!this.#socket) void this.#open();
	}

	/** Disconnects for good (logout). */
	stop(): void {
		this.#wanted = false;
		this.#clearTimers();
		this.#socket?.close(1000);
		this.#socket = null;
		this.ready = null;
		this.state = 'idle';
	}

	/** Calls `handler` for every event named `name`; returns the unsubscribe function. */
	on<K extends EventName>(name: K, handler: Handler<K>): () => void {
		let set = this.#handlers.get(name);
		if (!set) this.#handlers.set(name, (set = new Set()));
		set.add(handler as (payload: never) => void);
		return () => set.delete(handler as (payload: never) => void);
	}

	/** Calls `handler` after each `ready` (the first connect and every reconnect). */
	onReady(handler: (ready: Ready) => void): () => void {
		this.#readyHandlers.add(handler);
		if (this.ready) handler(this.ready);
		return () => this.#readyHandlers.delete(handler);
	}

	/** Sends a call command and waits for its reply's `ok` (throws with the error's message). */
	call<T = unknown>(action: Record<string, unknown>): Promise<T> {
		const socket = this.#socket;
		if (!socket || this.state !== 'ready') return Promise.reject(new Error('Not connected.'));
		const ref = String(this.#nextRef++);
		return new Promise<T>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#replies.delete(ref);
				reject(new Error('The server did not answer in time.'));
			}, REPLY_TIMEOUT_MS);
			this.#replies.set(ref, {
				resolve: (v) => (clearTimeout(timer), resolve(v as T)),
				reject: (e) => (clearTimeout(timer), reject(e))
			});
			socket.send(JSON.stringify({ op: 'call', d: { ref, ...action } }));
		});
	}

	/** Tells the gateway this user went idle or came back (presence). */
	activity(idle: boolean): void {
		if (this.state === 'ready') this.#send({ op: 'activity', d: { idle } });
	}

	async #open(): Promise<void> {
		const token = await session.accessToken();
		if (!token) {
			this.state = 'signed_out';
			return;
		}
		if (!this.#wanted) return;
		this.state = this.#attempt === 0 && !this.ready ? 'connecting' : 'reconnecting';
		const socket = new WebSocket(socketUrl());
		this.#socket = socket;
		socket.onmessage = (message) => this.#receive(socket, token, message.data);
		socket.onclose = (event) => this.#closed(socket, event.code);
	}

	#receive(socket: WebSocket, token: string, data: unknown): void {
		if (typeof data !== 'string') return;
		let frame: ServerFrame;
		try {
			frame = JSON.parse(data) as ServerFrame;
		} catch {
			return;
		}
		switch (frame.op) {
			case 'hello':
				socket.send(
					JSON.stringify({ op: 'identify', d: { token, resume: this.resume.toResume() ?? null } })
				);
				this.#clearHeartbeat();
				this.#heartbeat = setInterval(
					() => this.#send({ op: 'heartbeat' }),
					frame.d.heartbeat_interval_ms
				);
				break;
			case 'ready':
				this.#attempt = 0;
				this.ready = frame.d;
				this.state = 'ready';
				for (const handler of this.#readyHandlers) handler(frame.d);
				break;
			case 'reply': {
				const pending = this.#replies.get(frame.d.ref);
				if (!pending) break;
				this.#replies.delete(frame.d.ref);
				if (frame.d.error) pending.reject(new Error(frame.d.error.message));
				else pending.resolve(frame.d.ok);
				break;
			}
			case 'event':
				this.#track(frame.t, frame.d);
				for (const handler of this.#handlers.get(frame.t) ?? []) {
					try {
						(handler as (payload: unknown) => void)(frame.d);
					} catch (err) {
						console.error(`handler of ${frame.t} failed`, err);
					}
				}
				break;
			default:
				break;
		}
	}

	/** Keeps the resume points current from the messages that arrive. */
	#track(name: EventName, payload: unknown): void {
		if (name === 'message_created') {
			const { message } = payload as EventMap['message_created'];
			this.resume.seen('channel', message.channel_id, message.message_id);
		} else if (name === 'conversation_message_created') {
			const { message } = payload as EventMap['conversation_message_created'];
			this.resume.seen('conversation', message.conversation_id, message.message_id);
		} else if (name === 'resume_gap') {
			const gap = payload as EventMap['resume_gap'];
			if (gap.channel_id) this.resume.forget('channel', gap.channel_id);
			if (gap.conversation_id) this.resume.forget('conversation', gap.conversation_id);
		}
	}

	async #closed(socket: WebSocket, code: number, force = false): Promise<void> {
		if (socket !== this.#socket && !force) return;
		this.#socket = null;
		this.#clearHeartbeat();
		for (const pending of this.#replies.values()) pending.reject(new Error('Disconnected.'));
		this.#replies.clear();
		if (!this.#wanted) return;
		if (code === Close.SESSION_REVOKED) {
			session.end();
			this.state = 'signed_out';
			return;
		}
		if (code === Close.AUTHENTICATION_FAILED) {
			const current = session.current?.accessToken;
			if (!current || !(await session.refreshAfterRejection(current))) {
				if (!session.current) {
					this.state = 'signed_out';
					return;
				}
			}
		}
		this.state = 'reconnecting';
		const delay = code === Close.RECONNECT ? 0 : backoffMs(this.#attempt++);
		this.#retry = setTimeout(() => void this.#open(), delay);
	}

	#dropForOffline(): void {
		const socket = this.#socket;
		if (!socket || !this.#wanted) return;
		socket.onclose = null;
		socket.onmessage = null;
		socket.close();
		void this.#closed(socket, 1001, true);
	}

	#reconnectNow(): void {
		if (this.state === 'ready' || this.state === 'connecting') return;
		this.#clearTimers();
		this.#attempt = 0;
		if (!this.#socket) void this.#open();
	}

	#send(frame: unknown): void {
		if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(frame));
	}

	#clearHeartbeat(): void {
		if (this.#heartbeat) clearInterval(this.#heartbeat);
		this.#heartbeat = null;
	}

	#clearTimers(): void {
		this.#clearHeartbeat();
		if (this.#retry) clearTimeout(this.#retry);
		this.#retry = null;
	}
}

export const realtime = new Realtime();
