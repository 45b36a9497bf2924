// This device's end-to-end encryption: sending envelopes (pairwise for direct conversations,
// sender keys for groups) and opening what arrives, with every decrypted message kept in
// IndexedDB (ratchet keys are single-use, so that copy is the history). One operation at a time
// per user across tabs (lock.ts).
import { api, ApiFailure, unwrap, type Schemas } from '$lib/api/client';
import { fromBase64 } from './base64';
import { decodeContent, encodeContent, entryKind, type Content } from './content';
import { cryptoErrorCode, type CryptoApi } from './crypto-api';
import { E2eDb, STORES, type Write } from './db';
import { ensureDevice, refill, type DeviceRecord } from './device';
import { buildEnvelope, recipientsOf, sendMode, type DeviceAddress } from './fanout';
import { openGroup, receiveDistribution, sealGroup } from './group';
import { exclusive } from './lock';
import { openPairwise, sealPairwise, type Opened } from './sessions';
import { observe, type Trust } from './trust';

export type ConversationMessage = Schemas['ConversationMessage'];

/** A conversation message as this device can show it. */
export interface DecryptedMessage {
	messageId: string;
	conversationId: string;
	authorId: string;
	senderDeviceId: string;
	createdAt: string;
	nonce: string;
	attachments: Schemas['Attachment'][];
	/** Null when it could not be decrypted (see `failure`). */
	content: Content | null;
	failure: string | null;
	/** The sending device's identity key is not the trusted one. */
	identityWarning?: boolean;
}

const DEVICE_LIST_TTL_MS = 30_000;

function failureText(code: string | null, err: unknown): string {
	switch (code) {
		case 'unknown_sender_key_chain':
			return "The sender's group key has not reached this device.";
		case 'duplicate_message':
			return 'This message was already decrypted once, and its plaintext was not kept.';
		case 'prekey_mismatch':
			return 'This message was sent to keys this device no longer has.';
		default:
			return code ? `It could not be decrypted (${code}).` : `It could not be decrypted: ${String(err)}`;
	}
}

export class E2eEngine {
	#devices = new Map<string, { list: Schemas['Device'][]; at: number }>();
	readonly #lock: string;

	private constructor(
		readonly crypto: CryptoApi,
		readonly db: E2eDb,
		public device: DeviceRecord
	) {
		this.#lock = `chatalot-e2e-${device.userId}`;
	}

	/** Opens this user's store and makes sure the device is registered and stocked. */
	static async start(crypto: CryptoApi, userId: string, sessionId: string): Promise<E2eEngine> {
		const db = await E2eDb.open(userId);
		const device = await exclusive(`chatalot-e2e-${userId}`, () => ensureDevice(crypto, db, userId, sessionId));
		return new E2eEngine(crypto, db, device);
	}

	get userId(): string {
		return this.device.userId;
	}

	/** `keys_low`: uploads one-time prekeys up to the full stock. */
	refill(remaining: number): Promise<void> {
		return exclusive(this.#lock, async () => {
			this.device = await refill(this.crypto, this.db, this.device, remaining);
		});
	}

	/** `devices_changed`: the user's whole device list. */
	setDevices(userId: string, devices: Schemas['Device'][]): void {
		this.#devices.set(userId, { list: devices, at: Date.now() });
	}

	/** The devices of `userIds` (cached briefly; `devices_changed` replaces the cache). */
	async devicesOf(userIds: readonly string[]): Promise<Map<string, Schemas['Device'][]>> {
		const out = new Map<string, Schemas['Device'][]>();
		await Promise.all(
			[...new Set(userIds)].map(async (userId) => {
				const cached = this.#devices.get(userId);
				if (cached && Date.now() - cached.at < DEVICE_LIST_TTL_MS) {
					out.set(userId, cached.list);
					return;
				}
				const { devices } = await unwrap(
					api.GET('/api/v1/users/{user_id}/devices', { params: { path: { user_id: userId } } })
				);
				this.setDevices(userId, devices);
				out.set(userId, devices);
			})
		);
		return out;
	}

	/** Every device of the members except this one. */
	async recipients(memberIds: readonly string[]): Promise<DeviceAddress[]> {
		return recipientsOf(memberIds, await this.devicesOf(memberIds), this.device.deviceId);
	}

	/** Encrypts and sends `content`; resolves with the stored message. */
	send(conversation: Schemas['Conversation'], content: Content, attachmentIds: string[] = []): Promise<DecryptedMessage> {
		return exclusive(this.#lock, async () => {
			const recipients = await this.recipients(conversation.member_ids);
			if (recipients.length === 0) {
				throw new Error('Nobody in this conversation has a device that can receive encrypted messages yet.');
			}
			const plaintext = encodeContent(content);
			let entries: { to: DeviceAddress; ciphertext: Uint8Array }[];
			if (sendMode(conversation.kind) === 'pairwise') {
				entries = await this.#sealEach(recipients, plaintext);
			} else {
				const ciphertext = await sealGroup(
					this.crypto,
					this.db,
					conversation.conversation_id,
					recipients,
					plaintext,
					async (to, handover) => {
						const sealed = await this.#sealEach(to, encodeContent(handover));
						await this.#post(conversation.conversation_id, sealed, handover, []);
					}
				);
				entries = recipients.map((to) => ({ to, ciphertext }));
			}
			return this.#post(conversation.conversation_id, entries, content, attachmentIds);
		});
	}

	async #sealEach(to: readonly DeviceAddress[], plaintext: Uint8Array) {
		const entries = [];
		for (const address of to) {
			entries.push({ to: address, ciphertext: await sealPairwise(this.crypto, this.db, this.device, address, plaintext) });
		}
		return entries;
	}

	async #post(
		conversationId: string,
		entries: { to: DeviceAddress; ciphertext: Uint8Array }[],
		content: Content,
		attachmentIds: string[]
	): Promise<DecryptedMessage> {
		const nonce = crypto.randomUUID();
		await this.db.put(STORES.pending, nonce, { conversationId, content });
		const body = { nonce, envelope: buildEnvelope(this.device.deviceId, entries), attachment_ids: attachmentIds };
		const call = () =>
			unwrap(
				api.POST('/api/v1/conversations/{conversation_id}/messages', {
					params: { path: { conversation_id: conversationId } },
					body
				})
			);
		let message: ConversationMessage;
		try {
			message = await call();
		} catch (err) {
			// The same nonce again returns the first attempt's message if it got through.
			if (!(err instanceof ApiFailure && (err.status === 0 || err.status >= 500))) throw err;
			message = await call();
		}
		const stored = this.#decrypted(message, content, null);
		await this.db.write([
			{ store: STORES.messages, key: message.message_id, value: stored },
			{ store: STORES.pending, key: nonce, delete: true }
		]);
		return stored;
	}

	#decrypted(message: ConversationMessage, content: Content | null, failure: string | null): DecryptedMessage {
		return {
			messageId: message.message_id,
			conversationId: message.conversation_id,
			authorId: message.author_id,
			senderDeviceId: message.sender_device_id,
			createdAt: message.created_at,
			nonce: message.nonce,
			attachments: message.attachments,
			content,
			failure
		};
	}

	/** Decrypts a delivered or listed message (or finds it already decrypted). */
	open(message: ConversationMessage): Promise<DecryptedMessage> {
		return exclusive(this.#lock, () => this.#open(message));
	}

	async #open(message: ConversationMessage): Promise<DecryptedMessage> {
		const kept = await this.db.get<DecryptedMessage>(STORES.messages, message.message_id);
		if (kept) return { ...kept, attachments: message.attachments };
		if (message.sender_device_id === this.device.deviceId) {
			const pending = await this.db.get<{ content: Content }>(STORES.pending, message.nonce);
			if (!pending) return this.#decrypted(message, null, 'Sent from this device, but its text was not kept.');
			const stored = this.#decrypted(message, pending.content, null);
			await this.db.write([
				{ store: STORES.messages, key: message.message_id, value: stored },
				{ store: STORES.pending, key: message.nonce, delete: true }
			]);
			return stored;
		}
		const entry = message.ciphertexts.find((c) => c.device_id === this.device.deviceId);
		if (!entry) return this.#decrypted(message, null, 'It was not encrypted for this device.');
		let opened: Opened;
		try {
			const bytes = fromBase64(entry.ciphertext);
			const kind = entryKind(bytes);
			if (kind === 'group') {
				opened = await openGroup(this.crypto, this.db, message.conversation_id, message.sender_device_id, bytes);
			} else if (kind === 'pairwise' || kind === 'prekey') {
				opened = await openPairwise(this.crypto, this.db, this.device, message.author_id, message.sender_device_id, bytes);
			} else {
				return this.#decrypted(message, null, 'It is not in a format this app knows.');
			}
		} catch (err) {
			const code = cryptoErrorCode(err);
			if (code === null && !(err instanceof Error)) throw err;
			return this.#decrypted(message, null, failureText(code, err));
		}
		let trust: Trust | null = null;
		if (opened.identityKey) {
			trust = await observe(this.crypto, this.db, message.author_id, message.sender_device_id, opened.identityKey);
		}
		const content = decodeContent(opened.plaintext);
		const writes: Write[] = [...opened.writes];
		if (content?.kind === 'sender_key') {
			try {
				writes.push(
					...(await receiveDistribution(this.crypto, this.db, message.conversation_id, message.sender_device_id, content.distribution))
				);
			} catch (err) {
				console.warn('a sender key distribution could not be read', err);
			}
		}
		const stored = this.#decrypted(message, content, content ? null : 'Its content is not in a format this app knows.');
		if (trust?.level === 'changed') stored.identityWarning = true;
		writes.push({ store: STORES.messages, key: message.message_id, value: stored });
		await this.db.write(writes);
		return stored;
	}

	/** Runs `run` holding this user's e2e lock (trust and verification changes). */
	locked<T>(run: () => Promise<T>): Promise<T> {
		return exclusive(this.#lock, run);
	}

	/** What this device kept of a conversation (its own sends included). */
	kept(conversationId: string): Promise<DecryptedMessage[]> {
		return this.db.messagesOf<DecryptedMessage>(conversationId);
	}
}
