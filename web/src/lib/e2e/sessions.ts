// Pairwise Double Ratchet sessions with remote devices (X3DH from their bundle to start one),
// as server/tests/api/e2e_client.rs does. Several sessions are kept per device, newest first:
// when both sides start one at the same time, messages of either still decrypt. Callers hold the
// e2e lock; nothing here is safe to run concurrently.
import { api, unwrap } from '$lib/api/client';
import { cryptoErrorCode, take, type CryptoApi } from './crypto-api';
import { STORES, type E2eDb, type Write } from './db';
import type { DeviceRecord } from './device';
import { addSession, promoteSession, type DeviceAddress } from './fanout';
import { observe } from './trust';

export interface SessionRecord {
	userId: string;
	deviceId: string;
	states: Uint8Array[];
}

/** Sending to a device whose identity key changed is refused until the user accepts it. */
export class IdentityChangedError extends Error {
	constructor(readonly address: DeviceAddress) {
		super(`The identity key of a device of this contact (${address.name}) changed. Review it before sending.`);
	}
}

/** Encrypts `plaintext` for one device, starting a session from its bundle when needed. */
export async function sealPairwise(
	crypto: CryptoApi,
	db: E2eDb,
	self: DeviceRecord,
	to: DeviceAddress,
	plaintext: Uint8Array
): Promise<Uint8Array> {
	const trust = await observe(crypto, db, to.userId, to.deviceId, to.identityKey);
	if (trust.level === 'changed') throw new IdentityChangedError(to);
	let record = await db.get<SessionRecord>(STORES.sessions, to.deviceId);
	if (!record || record.states.length === 0) {
		const bundle = await unwrap(
			api.GET('/api/v1/devices/{device_id}/bundle', { params: { path: { device_id: to.deviceId } } })
		);
		// The bundle must carry the key the device list announced (and trust has seen).
		if (bundle.identity_key !== to.identityKey || bundle.user_id !== to.userId) {
			throw new IdentityChangedError(to);
		}
		const state = crypto.initiateSession(self.identity, JSON.stringify(bundle));
		record = { userId: to.userId, deviceId: to.deviceId, states: [state] };
	}
	const first = record.states[0];
	if (!first) throw new Error('no session');
	const sealed = take(crypto.encrypt(first, plaintext), (e) => ({ state: e.state, ciphertext: e.ciphertext }));
	// Saved before sending: a used message key must never be used again.
	await db.put(STORES.sessions, to.deviceId, { ...record, states: promoteSession(record.states, 0, sealed.state) });
	return sealed.ciphertext;
}

export interface Opened {
	plaintext: Uint8Array;
	/** Writes to commit together with what the plaintext becomes. */
	writes: Write[];
	/** For a new session: the identity key the sender proved. */
	identityKey: string | null;
}

/** Decrypts a pairwise (or prekey) message from `senderDeviceId`. */
export async function openPairwise(
	crypto: CryptoApi,
	db: E2eDb,
	self: DeviceRecord,
	senderUserId: string,
	senderDeviceId: string,
	ciphertext: Uint8Array
): Promise<Opened> {
	const record = (await db.get<SessionRecord>(STORES.sessions, senderDeviceId)) ?? {
		userId: senderUserId,
		deviceId: senderDeviceId,
		states: []
	};
	let lastError: unknown = null;
	for (const [index, state] of record.states.entries()) {
		try {
			const opened = take(crypto.decrypt(state, ciphertext), (d) => ({ state: d.state, plaintext: d.plaintext }));
			const states = promoteSession(record.states, index, opened.state);
			return {
				plaintext: opened.plaintext,
				writes: [{ store: STORES.sessions, key: senderDeviceId, value: { ...record, states } }],
				identityKey: null
			};
		} catch (err) {
			if (cryptoErrorCode(err) === null) throw err;
			lastError = err;
		}
	}
	const info = take(crypto.ciphertextInfo(ciphertext), (i) => ({
		isPreKey: i.isPreKey,
		signedPreKeyId: i.signedPreKeyId,
		oneTimePreKeyId: i.oneTimePreKeyId
	}));
	if (!info.isPreKey) throw lastError ?? new Error('There is no session with the sending device.');
	const signed = await db.get<Uint8Array>(STORES.prekeys, `spk:${info.signedPreKeyId}`);
	const oneTime =
		info.oneTimePreKeyId === undefined ? undefined : await db.get<Uint8Array>(STORES.prekeys, `otk:${info.oneTimePreKeyId}`);
	if (!signed || (info.oneTimePreKeyId !== undefined && !oneTime)) {
		throw lastError ?? new Error('The prekey this message was sent to is gone (already used).');
	}
	const accepted = take(crypto.acceptPreKeyMessage(self.identity, signed, oneTime, ciphertext), (a) => ({
		state: a.state,
		plaintext: a.plaintext,
		identityKey: a.identityKey,
		oneTimePreKeyId: a.oneTimePreKeyId
	}));
	const writes: Write[] = [
		{ store: STORES.sessions, key: senderDeviceId, value: { ...record, states: addSession(record.states, accepted.state) } }
	];
	if (accepted.oneTimePreKeyId !== undefined) {
		writes.push({ store: STORES.prekeys, key: `otk:${accepted.oneTimePreKeyId}`, delete: true });
	}
	return { plaintext: accepted.plaintext, writes, identityKey: accepted.identityKey };
}
