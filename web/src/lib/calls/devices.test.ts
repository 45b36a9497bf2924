import { describe, expect, it } from 'vitest';
import {
	DEFAULT_CHOICE,
	audioConstraints,
	deviceLabel,
	loadChoice,
	parseChoice,
	saveChoice,
	videoConstraints
} from './devices';

function memoryStorage() {
	const values = new Map<string, string>();
	return {
		getItem: (key: string) => values.get(key) ?? null,
		setItem: (key: string, value: string) => void values.set(key, value)
	};
}

describe('device choice', () => {
	it('round-trips through storage', () => {
		const storage = memoryStorage();
		expect(loadChoice(storage)).toEqual(DEFAULT_CHOICE);
		saveChoice(storage, { audioInput: 'mic-2', videoInput: 'cam-1' });
		expect(loadChoice(storage)).toEqual({ audioInput: 'mic-2', videoInput: 'cam-1' });
	});

	it('falls back to the defaults on anything unreadable', () => {
		expect(parseChoice('{')).toEqual(DEFAULT_CHOICE);
		expect(parseChoice('null')).toEqual(DEFAULT_CHOICE);
		expect(parseChoice('{"audioInput":3,"videoInput":"c"}')).toEqual({ audioInput: '', videoInput: 'c' });
	});

	it('asks for the exact device only when one was chosen', () => {
		expect(audioConstraints('')).not.toHaveProperty('deviceId');
		expect(audioConstraints('m')).toMatchObject({ deviceId: { exact: 'm' } });
		expect(videoConstraints('c')).toMatchObject({ deviceId: { exact: 'c' } });
	});

	it('numbers devices whose labels are hidden', () => {
		expect(deviceLabel({ label: '', kind: 'audioinput' }, 0)).toBe('Microphone 1');
		expect(deviceLabel({ label: '', kind: 'videoinput' }, 1)).toBe('Camera 2');
		expect(deviceLabel({ label: 'USB Mic', kind: 'audioinput' }, 0)).toBe('USB Mic');
	});
});
