// Speaking indicators: a Web Audio AnalyserNode on each watched stream (the local microphone and
// every remote participant), sampled a few times a second.
import { nextSpeaking, rms, type SpeakingState } from './levels';

const SAMPLE_MS = 120;

interface Watched {
	stream: MediaStream;
	source: MediaStreamAudioSourceNode;
	analyser: AnalyserNode;
	buffer: Float32Array<ArrayBuffer>;
	state: SpeakingState;
}

export class LevelMeter {
	#context: AudioContext | null = null;
	#watched = new Map<string, Watched>();
	#timer: ReturnType<typeof setInterval> | null = null;
	readonly #onChange: (key: string, speaking: boolean) => void;

	constructor(onChange: (key: string, speaking: boolean) => void) {
		this.#onChange = onChange;
	}

	/** Watches the audio of `stream` under `key` (replacing what was watched there). */
	watch(key: string, stream: MediaStream | null): void {
		const current = this.#watched.get(key);
		if (current?.stream === stream) return;
		this.unwatch(key);
		if (!stream || stream.getAudioTracks().length === 0) return;
		try {
			const context = (this.#context ??= new AudioContext());
			if (context.state === 'suspended') void context.resume();
			const source = context.createMediaStreamSource(stream);
			const analyser = context.createAnalyser();
			analyser.fftSize = 512;
			source.connect(analyser);
			this.#watched.set(key, {
				stream,
				source,
				analyser,
				buffer: new Float32Array(analyser.fftSize),
				state: { speaking: false, quietMs: 0 }
			});
			this.#timer ??= setInterval(() => this.#sample(), SAMPLE_MS);
		} catch (err) {
			console.warn('cannot measure audio levels', err);
		}
	}

	unwatch(key: string): void {
		const watched = this.#watched.get(key);
		if (!watched) return;
		watched.source.disconnect();
		this.#watched.delete(key);
		if (watched.state.speaking) this.#onChange(key, false);
	}

	close(): void {
		for (const key of [...this.#watched.keys()]) this.unwatch(key);
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
		void this.#context?.close().catch(() => {});
		this.#context = null;
	}

	#sample(): void {
		for (const [key, watched] of this.#watched) {
			watched.analyser.getFloatTimeDomainData(watched.buffer);
			const next = nextSpeaking(watched.state, rms(watched.buffer), SAMPLE_MS);
			if (next.speaking !== watched.state.speaking) this.#onChange(key, next.speaking);
			watched.state = next;
		}
	}
}
