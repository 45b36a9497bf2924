// Planning who an envelope goes to, mirroring server/tests/api/e2e_client.rs: every device of
// every member except the sending one (so the user's other devices can read it too); direct
// conversations encrypt per device, groups hand out a sender key first and then encrypt once.
import type { Schemas } from '$lib/api/client';
import { toBase64 } from './base64';

export type ConversationKind = Schemas['ConversationKind'];

/** One recipient device. */
export interface DeviceAddress {
	userId: string;
	deviceId: string;
	identityKey: string;
	name: string;
}

export type SendMode = 'pairwise' | 'group';

export function sendMode(kind: ConversationKind): SendMode {
	return kind === 'group' ? 'group' : 'pairwise';
}

/** Every listed device of the members, without the sending device, members in the given order. */
export function recipientsOf(
	memberIds: readonly string[],
	devicesByUser: ReadonlyMap<string, readonly Schemas['Device'][]>,
	selfDeviceId: string
): DeviceAddress[] {
	const out: DeviceAddress[] = [];
	const seen = new Set<string>();
	for (const userId of memberIds) {
		for (const device of devicesByUser.get(userId) ?? []) {
			if (device.device_id === selfDeviceId || seen.has(device.device_id)) continue;
			// A device listed under another user is not trusted to belong to this member.
			if (device.user_id !== userId) continue;
			seen.add(device.device_id);
			out.push({
				userId,
				deviceId: device.device_id,
				identityKey: device.identity_key,
				name: device.name
			});
		}
	}
	return out;
}

/** What this device's sender key of a group needs before the next group message. */
export interface SenderKeyPlan {
	/** Start a new chain: there is none, or a device that has the current one is no longer a
	 *  recipient (a member left, a device was removed), so it must not read what follows. */
	rotate: boolean;
	/** Devices that must receive the (new) chain's distribution over pairwise sessions first. */
	newcomers: DeviceAddress[];
}

export function planSenderKey(
	distributedTo: readonly string[] | undefined,
	recipients: readonly DeviceAddress[]
): SenderKeyPlan {
	const current = new Set(recipients.map((r) => r.deviceId));
	const rotate = !distributedTo || distributedTo.some((id) => !current.has(id));
	if (rotate) return { rotate, newcomers: [...recipients] };
	const have = new Set(distributedTo);
	return { rotate, newcomers: recipients.filter((r) => !have.has(r.deviceId)) };
}

/** The envelope of a send: one base64 ciphertext per recipient device. */
export function buildEnvelope(
	senderDeviceId: string,
	entries: readonly { to: DeviceAddress; ciphertext: Uint8Array }[]
): Schemas['Envelope'] {
	return {
		sender_device_id: senderDeviceId,
		recipients: entries.map(({ to, ciphertext }) => ({
			user_id: to.userId,
			device_id: to.deviceId,
			ciphertext: toBase64(ciphertext)
		}))
	};
}

/** At most this many sessions are kept per remote device (the newest first). */
export const MAX_SESSIONS_PER_DEVICE = 3;

/** The session list after `state` decrypted or encrypted at `index`: it moves to the front. */
export function promoteSession(states: readonly Uint8Array[], index: number, state: Uint8Array): Uint8Array[] {
	return [state, ...states.filter((_, i) => i !== index)].slice(0, MAX_SESSIONS_PER_DEVICE);
}

/** The session list with a newly built session in front (older ones kept for late messages). */
export function addSession(states: readonly Uint8Array[], state: Uint8Array): Uint8Array[] {
	return [state, ...states].slice(0, MAX_SESSIONS_PER_DEVICE);
}
