import { describe, expect, it } from 'vitest';
import { decodeStored, encodeStored } from './at-rest-codec';
import { AtRestSealer, isSealed, type SealedValue } from './at-rest';
import { toBase64 } from './base64';

const bytes = (...values: number[]) => new Uint8Array(values);

// The shapes E2eDb holds: DeviceRecord, SessionRecord, OutboundRecord, bare states, DecryptedMessage.
const device = { deviceId: 'd1', userId: 'u1', identityKey: 'AAAA', identity: bytes(1, 2, 3), signedPreKeyId: 1, nextOneTimePreKeyId: 101 };
const session = { userId: 'u2', deviceId: 'd2', states: [bytes(9, 8), bytes()] };
const message = {
	messageId: 'm1',
	conversationId: 'c1',
	authorId: 'u2',
	content: { kind: 'text', text: 'héllo 👋 "quoted" \u0000' },
	failure: null,
	identityWarning: undefined,
	attachments: [{ attachment_id: 'a', size: 12.5 }]
};

describe('at-rest codec', () => {
	it('round-trips every kind of value the stores hold, bytes as bytes', () => {
		const sliced = new Uint8Array([0, 1, 2, 3, 4]).subarray(1, 4);
		for (const value of [device, session, message, bytes(0, 255, 128), sliced, { state: bytes(7), distributedTo: ['x'] }, 'text', 3, true, null, [undefined, 1]]) {
			const back = decodeStored(encodeStored(value));
			expect(back).toStrictEqual(value instanceof Uint8Array ? new Uint8Array(value) : value);
		}
		const decoded = decodeStored(encodeStored(session)) as typeof session;
		expect(decoded.states[0]).toBeInstanceOf(Uint8Array);
		expect(decodeStored(encodeStored(new Uint8Array([5, 6]).buffer))).toBeInstanceOf(ArrayBuffer);
	});

	it('keeps a record whose field is named like the tag a record', () => {
		const tricky = { $t: 'u8', b: 'AQI=' };
		expect(decodeStored(encodeStored(tricky))).toStrictEqual(tricky);
	});

	it('refuses values it could not restore', () => {
		for (const bad of [new Map(), new Date(0), NaN, Infinity, new Uint16Array(2), () => 1, { nested: new Set() }]) {
			expect(() => encodeStored(bad)).toThrow(/at-rest codec/);
		}
	});
});

async function sealer(fill = 7): Promise<AtRestSealer> {
	return AtRestSealer.fromBase64Key(toBase64(new Uint8Array(32).fill(fill)));
}

describe('AtRestSealer', () => {
	it('seals with a fresh IV each time and opens what it sealed', async () => {
		const s = await sealer();
		const a = await s.seal('sessions', 'd2', session);
		const b = await s.seal('sessions', 'd2', session);
		expect(isSealed(a)).toBe(true);
		expect(a.iv).toHaveLength(12);
		expect(toBase64(a.iv)).not.toBe(toBase64(b.iv));
		expect(toBase64(a.data)).not.toBe(toBase64(b.data));
		expect(await s.open('sessions', 'd2', a)).toStrictEqual(session);
	});

	it('keeps no plaintext in the sealed value, except a message’s conversation id', async () => {
		const s = await sealer();
		const sealed = await s.seal('messages', 'm1', message, { conversationId: 'c1' });
		expect(sealed.conversationId).toBe('c1');
		const text = new TextDecoder().decode(sealed.data);
		expect(text).not.toContain('héllo');
		expect(Object.keys(sealed).sort()).toEqual(['conversationId', 'data', 'iv', 'sealed']);
		expect(await s.open('messages', 'm1', sealed)).toStrictEqual(message);
	});

	it('refuses a changed, moved or unsealed value, and another key', async () => {
		const s = await sealer();
		const sealed = await s.seal('kv', 'device', device);
		const flipped: SealedValue = { ...sealed, data: sealed.data.slice() };
		flipped.data[0] = (flipped.data[0] ?? 0) ^ 1;
		await expect(s.open('kv', 'device', flipped)).rejects.toThrow(/does not open/);
		await expect(s.open('kv', 'device-pending', sealed)).rejects.toThrow(/does not open/);
		await expect(s.open('prekeys', 'device', sealed)).rejects.toThrow(/does not open/);
		await expect(s.open('kv', 'device', device)).rejects.toThrow(/not sealed/);
		await expect((await sealer(8)).open('kv', 'device', sealed)).rejects.toThrow(/does not open/);

		const inC1 = await s.seal('messages', 'm1', message, { conversationId: 'c1' });
		await expect(s.open('messages', 'm1', { ...inC1, conversationId: 'c2' })).rejects.toThrow(/was changed/);
	});

	it('wants exactly 32 bytes of key', async () => {
		await expect(AtRestSealer.fromBase64Key(toBase64(new Uint8Array(16)))).rejects.toThrow(/16 bytes/);
	});
});
