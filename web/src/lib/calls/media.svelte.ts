// The local media: the microphone, the camera and a shared screen, and the devices to pick from
// (the choice is remembered in localStorage).
import {
	audioConstraints,
	loadChoice,
	saveChoice,
	videoConstraints,
	type DeviceChoice
} from './devices';

/** getUserMedia for the chosen device, falling back to the default one if it is gone. */
async function capture(kind: 'audio' | 'video', deviceId: string): Promise<MediaStreamTrack> {
	const constraints = kind === 'audio' ? audioConstraints : videoConstraints;
	let stream: MediaStream;
	try {
		stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(deviceId) });
	} catch (err) {
		if (!deviceId || !(err instanceof Error) || err.name !== 'OverconstrainedError') throw err;
		stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints('') });
	}
	const track = stream.getTracks()[0];
	if (!track) throw new Error(`no ${kind} track`);
	return track;
}

/** A sentence for a getUserMedia / getDisplayMedia failure. */
export function describeMediaError(what: string, err: unknown): string {
	const name = err instanceof Error ? err.name : '';
	if (name === 'NotAllowedError') return `Permission to use the ${what} was refused.`;
	if (name === 'NotFoundError') return `No ${what} was found.`;
	if (name === 'NotReadableError') return `The ${what} is in use by another application.`;
	return `The ${what} could not be started (${err instanceof Error ? err.message : String(err)}).`;
}

export class LocalMedia {
	mic = $state.raw<MediaStreamTrack | null>(null);
	camera = $state.raw<MediaStreamTrack | null>(null);
	screen = $state.raw<MediaStreamTrack | null>(null);
	/** The microphone as a stream (for the level meter). */
	micStream = $state.raw<MediaStream | null>(null);
	choice = $state<DeviceChoice>({ audioInput: '', videoInput: '' });
	microphones = $state.raw<MediaDeviceInfo[]>([]);
	cameras = $state.raw<MediaDeviceInfo[]>([]);
	/** Called when the browser's own "stop sharing" ends the screen share. */
	onScreenEnded: () => void = () => {};

	constructor() {
		if (typeof localStorage !== 'undefined') this.choice = loadChoice(localStorage);
	}

	async refreshDevices(): Promise<void> {
		const all = await navigator.mediaDevices.enumerateDevices();
		this.microphones = all.filter((d) => d.kind === 'audioinput');
		this.cameras = all.filter((d) => d.kind === 'videoinput');
	}

	choose(change: Partial<DeviceChoice>): void {
		this.choice = { ...this.choice, ...change };
		saveChoice(localStorage, this.choice);
	}

	async openMic(): Promise<MediaStreamTrack> {
		this.closeMic();
		const track = await capture('audio', this.choice.audioInput);
		this.mic = track;
		this.micStream = new MediaStream([track]);
		return track;
	}

	closeMic(): void {
		this.mic?.stop();
		this.mic = null;
		this.micStream = null;
	}

	async startCamera(): Promise<MediaStreamTrack> {
		this.stopCamera();
		const track = await capture('video', this.choice.videoInput);
		this.camera = track;
		return track;
	}

	stopCamera(): void {
		this.camera?.stop();
		this.camera = null;
	}

	async startScreen(): Promise<MediaStreamTrack> {
		this.stopScreen();
		const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
		const track = stream.getVideoTracks()[0];
		if (!track) throw new Error('no screen track');
		track.onended = () => {
			if (this.screen === track) this.onScreenEnded();
		};
		this.screen = track;
		return track;
	}

	stopScreen(): void {
		this.screen?.stop();
		this.screen = null;
	}

	stopAll(): void {
		this.closeMic();
		this.stopCamera();
		this.stopScreen();
	}
}
