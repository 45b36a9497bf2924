// One RTCPeerConnection to one other participant, with perfect negotiation (either side may
// renegotiate at any time; in a glare the impolite side's offer wins) and trickled ICE. Local
// media goes out through three slots: the microphone, the camera and the screen; a slot once
// opened keeps its transceiver, and turning its source off sends no track (replaceTrack(null)),
// so toggling never piles up m-lines.
import { sdpSessionId } from './negotiation';
import type { Signal } from './types';

export type MediaSlot = 'audio' | 'camera' | 'screen';
const SLOT_KIND: Record<MediaSlot, 'audio' | 'video'> = { audio: 'audio', camera: 'video', screen: 'video' };

export interface PeerOptions {
	userId: string;
	polite: boolean;
	/** This side opens the connection (sends the first offer). */
	initiator: boolean;
	iceServers: RTCIceServer[];
	/** The local tracks to send, per slot (null: nothing yet). */
	localTrack: (slot: MediaSlot) => MediaStreamTrack | null;
	send: (signal: Signal) => void;
	/** The remote stream gained a track. */
	onStream?: (stream: MediaStream) => void;
}

export class PeerLink {
	readonly userId: string;
	/** RTCPeerConnection.connectionState, shown to the user. */
	state = $state<RTCPeerConnectionState>('new');
	/** Every remote track (audio is played from it). */
	stream = $state.raw<MediaStream | null>(null);
	/** Remote video tracks currently receiving frames. */
	videoTracks = $state.raw<MediaStreamTrack[]>([]);
	/** The SDP session id of the remote RTCPeerConnection we talk to (null before its first SDP). */
	remoteSession: string | null = null;

	readonly #pc: RTCPeerConnection;
	readonly #options: PeerOptions;
	readonly #senders = new Map<MediaSlot, RTCRtpSender>();
	readonly #usedTransceivers = new Set<RTCRtpTransceiver>();
	#attached = false;
	#makingOffer = false;
	#ignoreOffer = false;
	#pendingCandidates: RTCIceCandidateInit[] = [];
	#queue: Promise<void> = Promise.resolve();
	#closed = false;

	constructor(options: PeerOptions) {
		this.userId = options.userId;
		this.#options = options;
		const pc = new RTCPeerConnection({ iceServers: options.iceServers });
		this.#pc = pc;
		this.stream = new MediaStream();
		pc.onnegotiationneeded = () => void this.#offer();
		pc.onicecandidate = ({ candidate }) => {
			if (!candidate || !candidate.candidate) return;
			options.send({
				type: 'ice_candidate',
				candidate: candidate.candidate,
				sdp_mid: candidate.sdpMid,
				sdp_m_line_index: candidate.sdpMLineIndex,
				username_fragment: candidate.usernameFragment
			});
		};
		pc.onconnectionstatechange = () => {
			this.state = pc.connectionState;
			if (pc.connectionState === 'failed' && !this.#closed) pc.restartIce();
		};
		pc.ontrack = ({ track }) => this.#addRemoteTrack(track);
		if (options.initiator) this.#attachLocal();
	}

	/** Hands a signal from the other side over, in arrival order. */
	handle(signal: Signal): Promise<void> {
		this.#queue = this.#queue.then(() => this.#apply(signal)).catch((err: unknown) => {
			console.warn(`call signal from ${this.userId} failed`, err);
		});
		return this.#queue;
	}

	/** Sends `track` in `slot` (null: stop sending there); renegotiates when the slot is new. */
	async setTrack(slot: MediaSlot, track: MediaStreamTrack | null): Promise<void> {
		if (this.#closed) return;
		const sender = this.#senders.get(slot);
		if (sender) await sender.replaceTrack(track);
		else if (track && this.#attached) this.#openSlot(slot, track);
	}

	close(): void {
		this.#closed = true;
		this.#pc.onnegotiationneeded = null;
		this.#pc.onicecandidate = null;
		this.#pc.onconnectionstatechange = null;
		this.#pc.ontrack = null;
		this.#pc.close();
		this.state = 'closed';
		for (const track of this.stream?.getTracks() ?? []) track.stop();
	}

	async #offer(): Promise<void> {
		if (this.#closed) return;
		try {
			this.#makingOffer = true;
			await this.#pc.setLocalDescription();
			const sdp = this.#pc.localDescription?.sdp;
			if (sdp && !this.#closed) this.#options.send({ type: 'offer', sdp });
		} catch (err) {
			console.warn(`offer to ${this.userId} failed`, err);
		} finally {
			this.#makingOffer = false;
		}
	}

	async #apply(signal: Signal): Promise<void> {
		if (this.#closed) return;
		const pc = this.#pc;
		if (signal.type === 'ice_candidate') {
			const candidate: RTCIceCandidateInit = {
				candidate: signal.candidate,
				sdpMid: signal.sdp_mid ?? null,
				sdpMLineIndex: signal.sdp_m_line_index ?? null,
				usernameFragment: signal.username_fragment ?? null
			};
			if (!pc.remoteDescription) {
				this.#pendingCandidates.push(candidate);
				return;
			}
			try {
				await pc.addIceCandidate(candidate);
			} catch (err) {
				if (!this.#ignoreOffer) console.warn(`ICE candidate from ${this.userId} refused`, err);
			}
			return;
		}
		const collision =
			signal.type === 'offer' && (this.#makingOffer || pc.signalingState !== 'stable');
		this.#ignoreOffer = !this.#options.polite && collision;
		if (this.#ignoreOffer) return;
		if (signal.type === 'answer' && pc.signalingState !== 'have-local-offer') return;
		await pc.setRemoteDescription({ type: signal.type, sdp: signal.sdp });
		this.remoteSession = sdpSessionId(signal.sdp);
		for (const candidate of this.#pendingCandidates.splice(0)) {
			await pc.addIceCandidate(candidate).catch(() => {});
		}
		if (signal.type === 'offer') {
			this.#attachLocal();
			await pc.setLocalDescription();
			const sdp = pc.localDescription?.sdp;
			if (sdp) this.#options.send({ type: 'answer', sdp });
		}
	}

	/** Opens the audio slot (always, so we receive audio too) and the video slots in use. */
	#attachLocal(): void {
		if (this.#attached) return;
		this.#attached = true;
		for (const slot of ['audio', 'camera', 'screen'] as const) {
			const track = this.#options.localTrack(slot);
			if (slot === 'audio' || track) this.#openSlot(slot, track);
		}
	}

	#openSlot(slot: MediaSlot, track: MediaStreamTrack | null): void {
		const kind = SLOT_KIND[slot];
		// Answering, reuse what the other side offered of this kind before adding m-lines.
		let transceiver = this.#pc
			.getTransceivers()
			.find(
				(t) =>
					!this.#usedTransceivers.has(t) &&
					t.mid !== null &&
					t.receiver.track.kind === kind &&
					!t.sender.track &&
					t.currentDirection !== 'stopped'
			);
		if (transceiver) {
			transceiver.direction = 'sendrecv';
			void transceiver.sender.replaceTrack(track);
		} else {
			transceiver = this.#pc.addTransceiver(track ?? kind, { direction: 'sendrecv' });
		}
		this.#usedTransceivers.add(transceiver);
		this.#senders.set(slot, transceiver.sender);
	}

	#addRemoteTrack(track: MediaStreamTrack): void {
		const stream = this.stream;
		if (!stream || stream.getTrackById(track.id)) return;
		stream.addTrack(track);
		// A new MediaStream object, so media elements and meters pick the change up.
		this.stream = new MediaStream(stream.getTracks());
		this.#options.onStream?.(this.stream);
		if (track.kind === 'video') {
			track.onmute = () => this.#refreshVideo();
			track.onunmute = () => this.#refreshVideo();
			track.onended = () => this.#refreshVideo();
			this.#refreshVideo();
		}
	}

	#refreshVideo(): void {
		this.videoTracks =
			this.stream?.getVideoTracks().filter((t) => !t.muted && t.readyState === 'live') ?? [];
	}
}
