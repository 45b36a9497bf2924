// Safety numbers and identity trust of the devices of a conversation's other members, and the
// contacts' new devices since the user last acknowledged their device list.
import type { E2eEngine } from './engine';
import type { DeviceAddress } from './fanout';
import { acceptChange, acknowledgeDevices, markVerified, observe, unacknowledgedDevices, type Trust } from './trust';

export interface DeviceSafety {
	address: DeviceAddress;
	/** 60 digits, the same on both devices. */
	safetyNumber: string;
	trust: Trust;
	/** Appeared since the user last acknowledged this contact's devices. */
	isNew: boolean;
}

/** The safety number and trust of every device of `userIds` (other than this user's). */
export function safetyOf(engine: E2eEngine, userIds: readonly string[]): Promise<DeviceSafety[]> {
	return engine.locked(async () => {
		const devices = await engine.devicesOf(userIds);
		const out: DeviceSafety[] = [];
		for (const userId of userIds) {
			if (userId === engine.userId) continue;
			const list = devices.get(userId) ?? [];
			const added = new Set(await unacknowledgedDevices(engine.db, userId, list.map((d) => d.device_id)));
			for (const d of list) {
				out.push({
					address: { userId, deviceId: d.device_id, identityKey: d.identity_key, name: d.name },
					safetyNumber: engine.crypto.safetyNumber(engine.device.identityKey, engine.userId, d.identity_key, userId),
					trust: await observe(engine.crypto, engine.db, userId, d.device_id, d.identity_key),
					isNew: added.has(d.device_id)
				});
			}
		}
		return out;
	});
}

export function acknowledge(engine: E2eEngine, devices: readonly DeviceSafety[]): Promise<void> {
	return engine.locked(async () => {
		const byUser = new Map<string, string[]>();
		for (const d of devices) byUser.set(d.address.userId, [...(byUser.get(d.address.userId) ?? []), d.address.deviceId]);
		for (const [userId, ids] of byUser) await acknowledgeDevices(engine.db, userId, ids);
	});
}

export function verify(engine: E2eEngine, address: DeviceAddress): Promise<void> {
	return engine.locked(() =>
		markVerified(engine.crypto, engine.db, address.userId, address.deviceId, address.identityKey)
	);
}

export function acceptNewKey(engine: E2eEngine, address: DeviceAddress): Promise<void> {
	return engine.locked(() =>
		acceptChange(engine.crypto, engine.db, address.userId, address.deviceId, address.identityKey)
	);
}
