// The chosen microphone and camera, remembered per browser, and the constraints they give.
const KEY = 'chatalot.call-devices';

export interface DeviceChoice {
	/** `deviceId` of the microphone, or '' for the default. */
	audioInput: string;
	/** `deviceId` of the camera, or '' for the default. */
	videoInput: string;
}

export const DEFAULT_CHOICE: DeviceChoice = { audioInput: '', videoInput: '' };

/** Parses what `saveChoice` stored; anything unreadable is the default. */
export function parseChoice(raw: string | null): DeviceChoice {
	if (!raw) return { ...DEFAULT_CHOICE };
	try {
		const value: unknown = JSON.parse(raw);
		if (typeof value !== 'object' || value === null) return { ...DEFAULT_CHOICE };
		const record = value as Record<string, unknown>;
		return {
			audioInput: typeof record.audioInput === 'string' ? record.audioInput : '',
			videoInput: typeof record.videoInput === 'string' ? record.videoInput : ''
		};
	} catch {
		return { ...DEFAULT_CHOICE };
	}
}

export function loadChoice(storage: Pick<Storage, 'getItem'>): DeviceChoice {
	return parseChoice(storage.getItem(KEY));
}

export function saveChoice(storage: Pick<Storage, 'setItem'>, choice: DeviceChoice): void {
	storage.setItem(KEY, JSON.stringify(choice));
}

/** getUserMedia audio constraints for a chosen microphone. */
export function audioConstraints(deviceId: string): MediaTrackConstraints {
	const base: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true };
	return deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
}

/** getUserMedia video constraints for a chosen camera. */
export function videoConstraints(deviceId: string): MediaTrackConstraints {
	const base: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 360 } };
	return deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
}

/** A label for a device, numbered when the browser hides labels (no permission yet). */
export function deviceLabel(device: Pick<MediaDeviceInfo, 'label' | 'kind'>, index: number): string {
	if (device.label) return device.label;
	return `${device.kind === 'audioinput' ? 'Microphone' : 'Camera'} ${index + 1}`;
}
