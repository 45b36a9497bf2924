// Speaking detection from audio samples: the level of a buffer and a hysteresis, so the
// indicator does not flicker between syllables. Pure; the Web Audio plumbing is in meter.ts.

/** Root mean square of time-domain samples in [-1, 1]. */
export function rms(samples: ArrayLike<number>): number {
	if (samples.length === 0) return 0;
	let sum = 0;
	for (let i = 0; i < samples.length; i++) {
		const sample = samples[i] ?? 0;
		sum += sample * sample;
	}
	return Math.sqrt(sum / samples.length);
}

export interface SpeakingState {
	speaking: boolean;
	/** Milliseconds spent below the threshold while speaking. */
	quietMs: number;
}

export const SPEAKING_THRESHOLD = 0.02;
export const SPEAKING_HOLD_MS = 400;

/** The next state after a sample of `level` taken `elapsedMs` after the previous one. */
export function nextSpeaking(
	state: SpeakingState,
	level: number,
	elapsedMs: number,
	threshold = SPEAKING_THRESHOLD,
	holdMs = SPEAKING_HOLD_MS
): SpeakingState {
	if (level >= threshold) return { speaking: true, quietMs: 0 };
	if (!state.speaking) return state;
	const quietMs = state.quietMs + elapsedMs;
	return quietMs >= holdMs ? { speaking: false, quietMs: 0 } : { speaking: true, quietMs };
}
