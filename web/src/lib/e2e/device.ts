// This browser's device: created and registered on first login (identity key, signed prekey, a
// batch of one-time prekeys), private halves kept in IndexedDB, one-time prekeys refilled when
// the server says they run low. A device belongs to the session that registered it, so a new
// login in this browser replaces the old device (its history stays: plaintext is kept locally).
import { api, ApiFailure, unwrap } from '$lib/api/client';
import { take, type CryptoApi } from './crypto-api';
import { E2eDb, STORES, type Write } from './db';

/** Refill below this many one-time prekeys (the server's `keys_low` threshold). */
export const LOW_WATER = 20;
/** The stock after a refill (the server's upload limit per call). */
export const FULL_STOCK = 100;

export interface DeviceRecord {
	deviceId: string;
	userId: string;
	sessionId: string;
	identityKey: string;
	identity: Uint8Array;
	signedPreKeyId: number;
	nextOneTimePreKeyId: number;
}

/** A readable default device name from the browser (shown to the user's other devices). */
export function deviceName(userAgent: string): string {
	const browser = /Edg\//.test(userAgent)
		? 'Edge'
		: /Firefox\//.test(userAgent)
			? 'Firefox'
			: /Chrom(e|ium)\//.test(userAgent)
				? 'Chromium'
				: /Safari\//.test(userAgent)
					? 'Safari'
					: 'Browser';
	const system = /Android/.test(userAgent)
		? 'Android'
		: /iPhone|iPad/.test(userAgent)
			? 'iOS'
			: /Windows/.test(userAgent)
				? 'Windows'
				: /Mac OS X/.test(userAgent)
					? 'macOS'
					: /Linux/.test(userAgent)
						? 'Linux'
						: null;
	return system ? `${browser} on ${system}` : browser;
}

function generateOneTimePreKeys(crypto: CryptoApi, db: E2eDb, first: number, count: number) {
	const uploads: { key_id: number; public_key: string }[] = [];
	const writes: Write[] = [];
	for (let id = first; id < first + count; id += 1) {
		const key = take(crypto.generateOneTimePreKey(id), (k) => ({ json: k.publicJson, state: k.state }));
		uploads.push(JSON.parse(key.json) as { key_id: number; public_key: string });
		writes.push({ store: STORES.prekeys, key: `otk:${id}`, value: key.state });
	}
	return { uploads, save: () => db.write(writes) };
}

/** What a registration saves before asking the server: a page closed while the request was in
 *  flight leaves a device on the server whose keys are here, and the next start adopts it. */
type PendingRegistration = Omit<DeviceRecord, 'deviceId'>;

async function register(crypto: CryptoApi, db: E2eDb, userId: string, sessionId: string): Promise<DeviceRecord> {
	const identity = take(crypto.createIdentity(), (i) => ({ key: i.identityKey, state: i.state }));
	const signed = take(crypto.generateSignedPreKey(identity.state, 1), (k) => ({
		json: k.publicJson,
		state: k.state
	}));
	const oneTime = generateOneTimePreKeys(crypto, db, 1, FULL_STOCK);
	const pending: PendingRegistration = {
		userId,
		sessionId,
		identityKey: identity.key,
		identity: identity.state,
		signedPreKeyId: 1,
		nextOneTimePreKeyId: FULL_STOCK + 1
	};
	await db.clear([STORES.prekeys]);
	await db.put(STORES.prekeys, 'spk:1', signed.state);
	await oneTime.save();
	await db.put(STORES.kv, 'device-pending', pending);
	const device = await unwrap(
		api.POST('/api/v1/devices', {
			body: {
				name: deviceName(navigator.userAgent),
				identity_key: identity.key,
				signed_prekey: JSON.parse(signed.json) as { key_id: number; public_key: string; signature: string },
				one_time_prekeys: oneTime.uploads
			}
		})
	);
	return adopt(db, pending, device.device_id);
}

async function adopt(db: E2eDb, pending: PendingRegistration, deviceId: string): Promise<DeviceRecord> {
	const record: DeviceRecord = { ...pending, deviceId };
	await db.write([
		{ store: STORES.kv, key: 'device', value: record },
		{ store: STORES.kv, key: 'device-pending', delete: true }
	]);
	return record;
}

/** The device an interrupted registration of this session created, if the server has it. */
async function recover(db: E2eDb, userId: string, sessionId: string): Promise<DeviceRecord | null> {
	const pending = await db.get<PendingRegistration>(STORES.kv, 'device-pending');
	if (!pending || pending.sessionId !== sessionId || pending.userId !== userId) return null;
	const { devices } = await unwrap(
		api.GET('/api/v1/users/{user_id}/devices', { params: { path: { user_id: userId } } })
	);
	const mine = devices.find((d) => d.identity_key === pending.identityKey);
	return mine ? adopt(db, pending, mine.device_id) : null;
}

/** Forgets the keys and sessions of a previous device (messages and trust stay). */
async function retire(db: E2eDb, old: DeviceRecord): Promise<void> {
	try {
		await unwrap(api.DELETE('/api/v1/devices/{device_id}', { params: { path: { device_id: old.deviceId } } }));
	} catch (err) {
		if (!(err instanceof ApiFailure && err.status === 404)) throw err;
	}
	await db.clear([STORES.prekeys, STORES.sessions, STORES.outbound, STORES.inbound, STORES.pending]);
	await db.write([{ store: STORES.kv, key: 'device', delete: true }]);
}

/** The one-time prekeys the server still holds for this device, or null when it is gone. */
async function stock(device: DeviceRecord): Promise<number | null> {
	try {
		const { count } = await unwrap(
			api.GET('/api/v1/devices/{device_id}/one-time-prekeys/count', {
				params: { path: { device_id: device.deviceId } }
			})
		);
		return count;
	} catch (err) {
		if (err instanceof ApiFailure && err.status === 404) return null;
		throw err;
	}
}

/** Uploads one-time prekeys up to the full stock; returns the updated record. */
export async function refill(crypto: CryptoApi, db: E2eDb, device: DeviceRecord, remaining: number): Promise<DeviceRecord> {
	const count = FULL_STOCK - remaining;
	if (count <= 0) return device;
	const first = device.nextOneTimePreKeyId;
	const oneTime = generateOneTimePreKeys(crypto, db, first, count);
	// Private halves first: a key the server hands out must always be here.
	await oneTime.save();
	const updated = { ...device, nextOneTimePreKeyId: first + count };
	await db.put(STORES.kv, 'device', updated);
	await unwrap(
		api.POST('/api/v1/devices/{device_id}/one-time-prekeys', {
			params: { path: { device_id: device.deviceId } },
			body: { one_time_prekeys: oneTime.uploads }
		})
	);
	return updated;
}

/** This browser's registered device for the session, created, replaced or refilled as needed. */
export async function ensureDevice(
	crypto: CryptoApi,
	db: E2eDb,
	userId: string,
	sessionId: string
): Promise<DeviceRecord> {
	let device = await db.get<DeviceRecord>(STORES.kv, 'device');
	if (device && device.sessionId !== sessionId) {
		await retire(db, device);
		device = undefined;
	}
	if (device) {
		const left = await stock(device);
		if (left === null) {
			// Removed from another device: start afresh.
			await retire(db, device);
			device = undefined;
		} else if (left < LOW_WATER) {
			device = await refill(crypto, db, device, left);
		}
	}
	device ??= (await recover(db, userId, sessionId)) ?? undefined;
	if (!device) {
		try {
			device = await register(crypto, db, userId, sessionId);
		} catch (err) {
			if (err instanceof ApiFailure && /already has a device/.test(err.message)) {
				throw new Error(
					'This browser lost its encryption keys for the current session. Sign out and sign in again to set up a new device.'
				);
			}
			throw err;
		}
	}
	return device;
}
