// The end-to-end state at rest in the desktop app. A browser profile protects IndexedDB, but the
// desktop webview keeps it as plain files in its data folder, so there every value E2eDb stores
// is sealed with AES-256-GCM under a key from the OS keychain (the native `store_key`): a fresh
// 12-byte IV per write, and the store name and key as additional data, so a value copied to
// another key or store fails to open instead of being used as that key's state.
import { fromBase64 } from './base64';
import { decodeStored, encodeStored } from './at-rest-codec';

const VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** How a sealed value is kept (IndexedDB stores the bytes as they are). */
export interface SealedValue {
	sealed: typeof VERSION;
	iv: Uint8Array;
	data: Uint8Array;
	/** Only in the messages store: its `conversation` index needs this field in clear. */
	conversationId?: string;
}

export function isSealed(value: unknown): value is SealedValue {
	if (typeof value !== 'object' || value === null) return false;
	const v = value as Partial<SealedValue>;
	return v.sealed === VERSION && v.iv instanceof Uint8Array && v.data instanceof Uint8Array;
}

function additionalData(store: string, key: string): Uint8Array<ArrayBuffer> {
	return encoder.encode(`chatalot-e2e-at-rest/v${VERSION}\u0000${store}\u0000${key}`);
}

export class AtRestSealer {
	private constructor(private readonly key: CryptoKey) {}

	/** From the keychain's base64 of 32 bytes; the CryptoKey cannot be exported again. */
	static async fromBase64Key(base64: string): Promise<AtRestSealer> {
		const raw = new Uint8Array(fromBase64(base64));
		if (raw.length !== 32) throw new Error(`The desktop's storage key has ${raw.length} bytes, not 32.`);
		const key = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
		raw.fill(0);
		return new AtRestSealer(key);
	}

	async seal(store: string, key: string, value: unknown, clear?: { conversationId?: string }): Promise<SealedValue> {
		const iv = crypto.getRandomValues(new Uint8Array(12));
		const plaintext = encoder.encode(encodeStored(value));
		const data = new Uint8Array(
			await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(store, key) }, this.key, plaintext)
		);
		const sealed: SealedValue = { sealed: VERSION, iv, data };
		if (clear?.conversationId !== undefined) sealed.conversationId = clear.conversationId;
		return sealed;
	}

	/** The value sealed under exactly this store and key; throws on anything else or any change. */
	async open(store: string, key: string, stored: unknown): Promise<unknown> {
		if (!isSealed(stored)) throw new Error(`The stored ${store} value ${key} is not sealed.`);
		let plaintext: ArrayBuffer;
		try {
			plaintext = await crypto.subtle.decrypt(
				{ name: 'AES-GCM', iv: new Uint8Array(stored.iv), additionalData: additionalData(store, key) },
				this.key,
				new Uint8Array(stored.data)
			);
		} catch {
			throw new Error(`The stored ${store} value ${key} does not open with this device's key (changed or moved).`);
		}
		const value = decodeStored(decoder.decode(plaintext));
		// The index field is in clear and so not authenticated by itself: it must match the sealed copy.
		if (stored.conversationId !== undefined) {
			const inner = (value as { conversationId?: unknown } | null)?.conversationId;
			if (inner !== stored.conversationId) throw new Error(`The stored ${store} value ${key} was changed.`);
		}
		return value;
	}
}
