// Trust on first use of contacts' identity keys (chatalot_crypto::trust), one contact per
// remote device, kept in IndexedDB. A changed key stays untrusted until the user accepts it.
import { take, type CryptoApi, type TrustLevel } from './crypto-api';
import { STORES, type E2eDb } from './db';
import { newDevices, trustContact } from './safety';

export interface Trust {
	level: TrustLevel;
	/** When the key changed: the one still trusted. */
	previousIdentityKey: string | null;
	wasVerified: boolean;
}

async function known(crypto: CryptoApi, db: E2eDb): Promise<Uint8Array> {
	return (await db.get<Uint8Array>(STORES.kv, 'trust')) ?? crypto.newKnownIdentities();
}

/** Records (on first use) and checks a device's identity key. */
export async function observe(
	crypto: CryptoApi,
	db: E2eDb,
	userId: string,
	deviceId: string,
	identityKey: string
): Promise<Trust> {
	const state = await known(crypto, db);
	const check = take(crypto.observeIdentity(state, trustContact(userId, deviceId), identityKey), (c) => ({
		level: c.trust as TrustLevel,
		previousIdentityKey: c.previousIdentityKey ?? null,
		wasVerified: c.wasVerified,
		state: c.state
	}));
	await db.put(STORES.kv, 'trust', check.state);
	return { level: check.level, previousIdentityKey: check.previousIdentityKey, wasVerified: check.wasVerified };
}

export async function markVerified(
	crypto: CryptoApi,
	db: E2eDb,
	userId: string,
	deviceId: string,
	identityKey: string
): Promise<void> {
	const state = crypto.markIdentityVerified(await known(crypto, db), trustContact(userId, deviceId), identityKey);
	await db.put(STORES.kv, 'trust', state);
}

export async function acceptChange(
	crypto: CryptoApi,
	db: E2eDb,
	userId: string,
	deviceId: string,
	identityKey: string
): Promise<void> {
	const state = crypto.acceptIdentityChange(await known(crypto, db), trustContact(userId, deviceId), identityKey);
	await db.put(STORES.kv, 'trust', state);
}

/** Device ids of a contact that appeared since they were last acknowledged. The first list
 *  ever seen of a contact is recorded as it is (trust on first use). */
export async function unacknowledgedDevices(db: E2eDb, userId: string, deviceIds: readonly string[]): Promise<string[]> {
	const all = (await db.get<Record<string, string[]>>(STORES.kv, 'known-devices')) ?? {};
	const before = all[userId];
	if (before) return newDevices(before, deviceIds);
	all[userId] = [...deviceIds];
	await db.put(STORES.kv, 'known-devices', all);
	return [];
}

/** Records a contact's current device list as seen. */
export async function acknowledgeDevices(db: E2eDb, userId: string, deviceIds: readonly string[]): Promise<void> {
	const all = (await db.get<Record<string, string[]>>(STORES.kv, 'known-devices')) ?? {};
	all[userId] = [...deviceIds];
	await db.put(STORES.kv, 'known-devices', all);
}
