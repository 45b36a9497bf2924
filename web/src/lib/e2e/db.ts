// A small promise wrapper over IndexedDB for this device's end-to-end state: one database per
// user of this browser. Values are structured-cloned (Uint8Array states stay bytes). In the
// desktop app every value is sealed at rest first (at-rest.ts); in a browser they are kept as is.
import { storeKey } from '$lib/desktop/bridge';
import { inDesktop } from '$lib/desktop/platform';
import { AtRestSealer } from './at-rest';

export const STORES = {
	/** Singletons: 'device' (DeviceRecord), 'trust' (known identities), 'known-devices'. */
	kv: 'kv',
	/** 'spk:<id>' and 'otk:<id>': private prekey states. */
	prekeys: 'prekeys',
	/** Pairwise sessions by remote device id. */
	sessions: 'sessions',
	/** This device's sender key per conversation. */
	outbound: 'outbound',
	/** Others' sender keys by '<conversation id>/<device id>'. */
	inbound: 'inbound',
	/** Decrypted messages by message id (ratchet keys are single-use: this is the history). */
	messages: 'messages',
	/** Own sends by nonce until the server gives them an id. */
	pending: 'pending'
} as const;

export type StoreName = (typeof STORES)[keyof typeof STORES];
export type Write = { store: StoreName; key: string; value: unknown } | { store: StoreName; key: string; delete: true };

const VERSION = 1;

function request<T>(req: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
	});
}

function done(tx: IDBTransaction): Promise<void> {
	return new Promise((resolve, reject) => {
		tx.oncomplete = () => resolve();
		tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
		tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
	});
}

export class E2eDb {
	private constructor(
		private readonly db: IDBDatabase,
		private readonly sealer: AtRestSealer | null
	) {}

	/** Opens the user's database; in the desktop app with the keychain's key for sealing values. */
	static async open(userId: string): Promise<E2eDb> {
		if (typeof indexedDB === 'undefined') throw new Error('This browser has no IndexedDB.');
		const sealer = inDesktop() ? await AtRestSealer.fromBase64Key(await storeKey(userId)) : null;
		return E2eDb.openWith(userId, sealer);
	}

	/** Opens with an explicit sealer (null: values kept as they are). */
	static async openWith(userId: string, sealer: AtRestSealer | null): Promise<E2eDb> {
		const req = indexedDB.open(`chatalot-e2e-${userId}`, VERSION);
		req.onupgradeneeded = () => {
			const db = req.result;
			for (const name of Object.values(STORES)) {
				if (db.objectStoreNames.contains(name)) continue;
				const store = db.createObjectStore(name);
				if (name === STORES.messages) store.createIndex('conversation', 'conversationId');
			}
		};
		const db = await request(req);
		// Another tab upgrading the schema: let it, this one reloads its handle on next use.
		db.onversionchange = () => db.close();
		return new E2eDb(db, sealer);
	}

	async get<T>(store: StoreName, key: string): Promise<T | undefined> {
		const tx = this.db.transaction(store, 'readonly');
		const stored: unknown = await request(tx.objectStore(store).get(key));
		if (stored === undefined || !this.sealer) return stored as T | undefined;
		return (await this.sealer.open(store, key, stored)) as T;
	}

	/** Every value of the messages store for one conversation. */
	async messagesOf<T>(conversationId: string): Promise<T[]> {
		const tx = this.db.transaction(STORES.messages, 'readonly');
		const index = tx.objectStore(STORES.messages).index('conversation');
		if (!this.sealer) return (await request(index.getAll(conversationId))) as T[];
		// Sealed values are bound to their key, so read keys with values (in the same order).
		const [keys, values] = await Promise.all([
			request(index.getAllKeys(conversationId)),
			request(index.getAll(conversationId))
		]);
		const sealer = this.sealer;
		return (await Promise.all(values.map((v, i) => sealer.open(STORES.messages, String(keys[i]), v)))) as T[];
	}

	/** Applies several writes atomically (a new ratchet state and the plaintext it gave, say). */
	async write(writes: readonly Write[]): Promise<void> {
		if (writes.length === 0) return;
		// Sealing is asynchronous and an IndexedDB transaction closes when left idle, so seal first.
		const prepared = await Promise.all(
			writes.map(async (w) => ('delete' in w ? w : { ...w, value: await this.#prepare(w.store, w.key, w.value) }))
		);
		const names = [...new Set(prepared.map((w) => w.store))];
		const tx = this.db.transaction(names, 'readwrite');
		for (const w of prepared) {
			const store = tx.objectStore(w.store);
			if ('delete' in w) store.delete(w.key);
			else store.put(w.value, w.key);
		}
		await done(tx);
	}

	async #prepare(store: StoreName, key: string, value: unknown): Promise<unknown> {
		if (!this.sealer) return value;
		const conversationId =
			store === STORES.messages ? (value as { conversationId?: string } | null)?.conversationId : undefined;
		return this.sealer.seal(store, key, value, { conversationId });
	}

	async put(store: StoreName, key: string, value: unknown): Promise<void> {
		await this.write([{ store, key, value }]);
	}

	/** Empties stores (a new device replaces the old one's keys and sessions). */
	async clear(stores: readonly StoreName[]): Promise<void> {
		const tx = this.db.transaction([...stores], 'readwrite');
		for (const name of stores) tx.objectStore(name).clear();
		await done(tx);
	}

	close(): void {
		this.db.close();
	}
}
