// Sender keys for group conversations: one chain per sending device and conversation (the
// distribution id is the conversation id), handed to each recipient device over pairwise
// sessions before its first group message, replaced when a device that had it is no longer a
// recipient. Callers hold the e2e lock.
import { fromBase64, toBase64 } from './base64';
import { take, type CryptoApi } from './crypto-api';
import { STORES, type E2eDb, type Write } from './db';
import { planSenderKey, type DeviceAddress } from './fanout';
import type { Opened } from './sessions';
import type { SenderKeyContent } from './content';

export interface OutboundRecord {
	state: Uint8Array;
	/** Devices that hold this chain's distribution. */
	distributedTo: string[];
}

/** Encrypts one group message; `handOver` first delivers the chain to devices that lack it. */
export async function sealGroup(
	crypto: CryptoApi,
	db: E2eDb,
	conversationId: string,
	recipients: readonly DeviceAddress[],
	plaintext: Uint8Array,
	handOver: (to: DeviceAddress[], content: SenderKeyContent) => Promise<void>
): Promise<Uint8Array> {
	let record = await db.get<OutboundRecord>(STORES.outbound, conversationId);
	const plan = planSenderKey(record?.distributedTo, recipients);
	if (plan.rotate || !record) {
		const created = take(crypto.createSenderKey(conversationId), (k) => ({ state: k.state }));
		record = { state: created.state, distributedTo: [] };
		await db.put(STORES.outbound, conversationId, record);
	}
	if (plan.newcomers.length > 0) {
		const distribution = toBase64(crypto.senderKeyDistribution(record.state));
		await handOver(plan.newcomers, { kind: 'sender_key', distribution });
		record = { ...record, distributedTo: [...record.distributedTo, ...plan.newcomers.map((r) => r.deviceId)] };
		await db.put(STORES.outbound, conversationId, record);
	}
	const sealed = take(crypto.groupEncrypt(record.state, plaintext), (e) => ({ state: e.state, ciphertext: e.ciphertext }));
	await db.put(STORES.outbound, conversationId, { ...record, state: sealed.state });
	return sealed.ciphertext;
}

const inboundKey = (conversationId: string, deviceId: string) => `${conversationId}/${deviceId}`;

/** Decrypts a group message with the sending device's chain for this conversation. */
export async function openGroup(
	crypto: CryptoApi,
	db: E2eDb,
	conversationId: string,
	senderDeviceId: string,
	ciphertext: Uint8Array
): Promise<Opened> {
	const key = inboundKey(conversationId, senderDeviceId);
	const state = await db.get<Uint8Array>(STORES.inbound, key);
	if (!state) {
		const err = new Error("The sender's group key has not arrived on this device.");
		err.name = 'ChatalotCryptoError';
		Object.assign(err, { code: 'unknown_sender_key_chain' });
		throw err;
	}
	const opened = take(crypto.groupDecrypt(state, ciphertext), (d) => ({ state: d.state, plaintext: d.plaintext }));
	return { plaintext: opened.plaintext, writes: [{ store: STORES.inbound, key, value: opened.state }], identityKey: null };
}

/** Stores a received chain (keeping the stored one when it is the same chain, so old
 *  messages cannot be replayed). Distributions for another conversation are ignored. */
export async function receiveDistribution(
	crypto: CryptoApi,
	db: E2eDb,
	conversationId: string,
	senderDeviceId: string,
	distribution: string
): Promise<Write[]> {
	const key = inboundKey(conversationId, senderDeviceId);
	const existing = await db.get<Uint8Array>(STORES.inbound, key);
	const received = take(crypto.processSenderKeyDistribution(fromBase64(distribution), existing), (r) => ({
		state: r.state,
		distributionId: r.distributionId
	}));
	if (received.distributionId.toLowerCase() !== conversationId.toLowerCase()) return [];
	return [{ store: STORES.inbound, key, value: received.state }];
}
