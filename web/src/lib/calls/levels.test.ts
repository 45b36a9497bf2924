import { describe, expect, it } from 'vitest';
import { SPEAKING_HOLD_MS, nextSpeaking, rms } from './levels';

describe('audio level', () => {
	it('is the root mean square', () => {
		expect(rms([])).toBe(0);
		expect(rms([0, 0, 0])).toBe(0);
		expect(rms([0.5, -0.5])).toBeCloseTo(0.5);
		expect(rms(new Float32Array([1, -1, 1, -1]))).toBeCloseTo(1);
	});
});

describe('speaking indicator', () => {
	const silent = { speaking: false, quietMs: 0 };

	it('lights up on a loud sample', () => {
		expect(nextSpeaking(silent, 0.1, 100)).toEqual({ speaking: true, quietMs: 0 });
		expect(nextSpeaking(silent, 0.001, 100)).toEqual(silent);
	});

	it('holds through short pauses, then goes out', () => {
		let state = nextSpeaking(silent, 0.1, 100);
		state = nextSpeaking(state, 0, SPEAKING_HOLD_MS / 2);
		expect(state.speaking).toBe(true);
		state = nextSpeaking(state, 0.1, 100);
		expect(state).toEqual({ speaking: true, quietMs: 0 });
		state = nextSpeaking(state, 0, SPEAKING_HOLD_MS / 2);
		state = nextSpeaking(state, 0, SPEAKING_HOLD_MS / 2);
		expect(state).toEqual(silent);
	});
});
