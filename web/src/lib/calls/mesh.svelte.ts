// The full mesh of one call: a PeerLink per other participant, who opens each one, routing of
// the signals they send, and forgetting peer connections that were replaced.
import { realtime } from '$lib/realtime/socket.svelte';
import { LevelMeter } from './meter';
import { initiatorOf, isNewRemoteSession, isPolite, sdpSessionId } from './negotiation';
import { PeerLink, type MediaSlot } from './peer.svelte';
import type { CallId, Participant, Signal } from './types';

export interface MeshOptions {
	call: CallId;
	me: string;
	iceServers: RTCIceServer[];
	localTrack: (slot: MediaSlot) => MediaStreamTrack | null;
	meter: LevelMeter;
}

export class Mesh {
	peers = $state.raw<Record<string, PeerLink>>({});
	readonly #options: MeshOptions;
	/** `<user id>:<SDP session>` of peer connections we dropped: their late offers are ignored. */
	readonly #staleSessions = new Set<string>();

	constructor(options: MeshOptions) {
		this.#options = options;
	}

	/** Starts over with everyone connected in `roster` (after our join, or rejoin). */
	connectAll(roster: readonly Participant[]): void {
		for (const userId of Object.keys(this.peers)) this.close(userId);
		const me = roster.find((p) => p.user_id === this.#options.me);
		if (!me) return;
		for (const other of roster) {
			if (other.user_id !== me.user_id && other.connected) this.#open(other.user_id, initiatorOf(me, other) === me.user_id);
		}
	}

	/** `other` joined: be ready for them (the later joiner offers). */
	joined(me: Participant | undefined, other: Participant): void {
		if (!me || this.peers[other.user_id]) return;
		this.#open(other.user_id, initiatorOf(me, other) === me.user_id);
	}

	/** A signal from `from`; a first offer (or one from a new connection of theirs) opens a peer. */
	signal(from: string, signal: Signal): void {
		if (signal.type !== 'ice_candidate') {
			const remote = sdpSessionId(signal.sdp);
			if (remote && this.#staleSessions.has(`${from}:${remote}`)) return;
		}
		let peer: PeerLink | undefined = this.peers[from];
		if (peer && signal.type === 'offer' && isNewRemoteSession(peer.remoteSession, signal.sdp)) {
			this.close(from);
			peer = undefined;
		}
		peer ??= this.#open(from, false);
		void peer.handle(signal);
	}

	/** Sends `track` in `slot` to everyone. */
	setTrack(slot: MediaSlot, track: MediaStreamTrack | null): void {
		for (const peer of Object.values(this.peers)) {
			peer.setTrack(slot, track).catch((err: unknown) => console.warn('track not sent', err));
		}
	}

	close(userId: string): void {
		const peer = this.peers[userId];
		if (!peer) return;
		if (peer.remoteSession) this.#staleSessions.add(`${userId}:${peer.remoteSession}`);
		peer.close();
		this.#options.meter.unwatch(userId);
		const { [userId]: _closed, ...rest } = this.peers;
		this.peers = rest;
	}

	closeAll(): void {
		for (const userId of Object.keys(this.peers)) this.close(userId);
	}

	#open(userId: string, initiator: boolean): PeerLink {
		const { call, me, iceServers, localTrack, meter } = this.#options;
		const peer = new PeerLink({
			userId,
			initiator,
			polite: isPolite(me, userId),
			iceServers,
			localTrack,
			onStream: (stream) => meter.watch(userId, stream),
			send: (signal) => {
				realtime
					.call({ action: 'signal', call, to_user_id: userId, signal })
					.catch((err: unknown) => console.warn(`signal to ${userId} not relayed`, err));
			}
		});
		this.peers = { ...this.peers, [userId]: peer };
		return peer;
	}
}
