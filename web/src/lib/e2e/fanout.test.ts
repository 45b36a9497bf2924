import { describe, expect, it } from 'vitest';
import {
	addSession,
	buildEnvelope,
	planSenderKey,
	promoteSession,
	recipientsOf,
	sendMode,
	type DeviceAddress
} from './fanout';

const device = (user: string, id: string) => ({
	user_id: user,
	device_id: id,
	identity_key: `key-${id}`,
	name: `Device ${id}`,
	created_at: '2026-01-01T00:00:00Z'
});

describe('recipientsOf', () => {
	const devices = new Map([
		['alice', [device('alice', 'a1'), device('alice', 'a2')]],
		['bob', [device('bob', 'b1')]],
		['carol', [device('mallory', 'm1')]]
	]);

	it('lists every device of every member except the sending one', () => {
		const to = recipientsOf(['alice', 'bob'], devices, 'a1');
		expect(to.map((r) => r.deviceId)).toEqual(['a2', 'b1']);
		expect(to[1]).toEqual({ userId: 'bob', deviceId: 'b1', identityKey: 'key-b1', name: 'Device b1' });
	});

	it('skips unknown members and devices listed under someone else', () => {
		expect(recipientsOf(['carol', 'dave'], devices, 'a1')).toEqual([]);
	});

	it('lists a device once even when a member is named twice', () => {
		expect(recipientsOf(['bob', 'bob'], devices, 'a1').length).toBe(1);
	});
});

describe('planSenderKey', () => {
	const to = (...ids: string[]): DeviceAddress[] =>
		ids.map((id) => ({ userId: 'u', deviceId: id, identityKey: 'k', name: id }));

	it('starts a chain and hands it to everyone when there is none', () => {
		const plan = planSenderKey(undefined, to('b1', 'c1'));
		expect(plan.rotate).toBe(true);
		expect(plan.newcomers.map((r) => r.deviceId)).toEqual(['b1', 'c1']);
	});

	it('hands the chain only to devices that lack it', () => {
		const plan = planSenderKey(['b1'], to('b1', 'c1'));
		expect(plan).toEqual({ rotate: false, newcomers: to('c1') });
	});

	it('rotates when a device that holds the chain is no longer a recipient', () => {
		const plan = planSenderKey(['b1', 'c1'], to('b1'));
		expect(plan.rotate).toBe(true);
		expect(plan.newcomers.map((r) => r.deviceId)).toEqual(['b1']);
	});

	it('needs nothing when everyone has the chain', () => {
		expect(planSenderKey(['b1', 'c1'], to('c1', 'b1'))).toEqual({ rotate: false, newcomers: [] });
	});
});

describe('envelopes and session lists', () => {
	it('chooses pairwise sessions for direct conversations and sender keys for groups', () => {
		expect(sendMode('direct')).toBe('pairwise');
		expect(sendMode('group')).toBe('group');
	});

	it('encodes one base64 entry per device', () => {
		const [bob] = [{ userId: 'bob', deviceId: 'b1', identityKey: 'k', name: 'b' }];
		const envelope = buildEnvelope('a1', [{ to: bob!, ciphertext: new Uint8Array([1, 2, 255]) }]);
		expect(envelope).toEqual({
			sender_device_id: 'a1',
			recipients: [{ user_id: 'bob', device_id: 'b1', ciphertext: 'AQL/' }]
		});
	});

	it('moves the session that worked to the front and keeps at most three', () => {
		const s = (n: number) => new Uint8Array([n]);
		expect(promoteSession([s(1), s(2), s(3)], 2, s(9)).map((x) => x[0])).toEqual([9, 1, 2]);
		expect(addSession([s(1), s(2), s(3)], s(4)).map((x) => x[0])).toEqual([4, 1, 2]);
	});
});
