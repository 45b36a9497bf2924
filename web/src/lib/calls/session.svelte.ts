// The call this browser tab is in (at most one): joining and leaving, the mesh of peer
// connections, the participant roster, local media and its state (mute, deafen, camera, screen)
// announced with update_state, and rejoining after a WebSocket reconnect.
import { api, describeError, unwrap } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';
import { session } from '$lib/session/session.svelte';
import { LocalMedia, describeMediaError } from './media.svelte';
import { Mesh } from './mesh.svelte';
import { LevelMeter } from './meter';
import type { MediaSlot } from './peer.svelte';
import { reduceRoster, type RosterEvent } from './roster';
import { sameCall, type CallId, type CallState, type LeaveReason, type Participant } from './types';

export type CallPhase = 'idle' | 'joining' | 'joined' | 'rejoining';

const LEAVE_REASONS: Record<LeaveReason, string> = {
	left: 'You left the call.',
	moved: 'You joined another call (perhaps from another device).',
	removed: 'A moderator removed you from the call.',
	disconnected: 'You were disconnected from the call.',
	lost_access: 'You can no longer be in this call.'
};

class CallSession {
	call = $state.raw<CallId | null>(null);
	phase = $state<CallPhase>('idle');
	roster = $state.raw<Participant[]>([]);
	maxParticipants = $state(0);
	mesh = $state.raw<Mesh | null>(null);
	speaking = $state<Record<string, boolean>>({});
	muted = $state(false);
	deafened = $state(false);
	/** The last failure, shown by the call panel. */
	error = $state<string | null>(null);
	/** Why the last call ended when it was not our own doing. */
	ended = $state<string | null>(null);
	readonly media = new LocalMedia();

	#iceServers: RTCIceServer[] = [];
	#meter = this.#newMeter();
	#listening = false;
	/** Effects of events that arrived while the join was under way (they may overtake its reply). */
	#backlog: (() => void)[] = [];

	get userId(): string | null {
		return session.userId;
	}

	get me(): Participant | undefined {
		return this.roster.find((p) => p.user_id === this.userId);
	}

	get camera(): boolean {
		return this.media.camera !== null;
	}

	get screenSharing(): boolean {
		return this.media.screen !== null;
	}

	/** Whether this tab is in `call` (or joining it). */
	isIn(call: CallId): boolean {
		return this.phase !== 'idle' && sameCall(this.call, call);
	}

	/** Subscribes to call events; once. */
	listen(): void {
		if (this.#listening) return;
		this.#listening = true;
		this.media.onScreenEnded = () => void this.toggleScreen();
		realtime.on('call_participant_joined', ({ call, participant }) =>
			this.#deliver(call, () => this.#onRoster({ type: 'joined', participant }))
		);
		realtime.on('call_participant_updated', ({ call, participant }) =>
			this.#deliver(call, () => this.#onRoster({ type: 'updated', participant }))
		);
		realtime.on('call_participant_left', ({ call, user_id, reason }) =>
			this.#deliver(call, () => this.#onLeft(user_id, reason))
		);
		realtime.on('call_signal', ({ call, from_user_id, signal }) =>
			this.#deliver(call, () => this.mesh?.signal(from_user_id, signal))
		);
		realtime.onReady(() => {
			if (this.phase === 'joined' || this.phase === 'rejoining') void this.#rejoin();
		});
	}

	/** Joins `call` with the microphone (muted when `canSpeak` is false or there is none). */
	async join(call: CallId, canSpeak = true): Promise<void> {
		this.listen();
		if (this.isIn(call)) return;
		if (this.phase !== 'idle') await this.leave();
		this.phase = 'joining';
		this.#backlog = [];
		this.call = call;
		this.error = null;
		this.ended = null;
		this.muted = !canSpeak;
		this.deafened = false;
		const problems: string[] = [];
		const ice = unwrap(api.GET('/api/v1/calls/ice-servers')).catch((err: unknown) => {
			problems.push(`No STUN/TURN servers: ${describeError(err)}.`);
			return { ice_servers: [] };
		});
		if (canSpeak) {
			try {
				await this.media.openMic();
			} catch (err) {
				problems.push(`${describeMediaError('microphone', err)} You joined muted.`);
				this.muted = true;
			}
		}
		this.#iceServers = (await ice).ice_servers.map((s) => ({
			urls: s.urls,
			username: s.username ?? undefined,
			credential: s.credential ?? undefined
		}));
		try {
			await this.#joinOnServer();
			this.error = problems.length ? problems.join(' ') : null;
			void this.media.refreshDevices().catch(() => {});
		} catch (err) {
			this.#teardown(null);
			this.error = `Could not join the call: ${describeError(err)}`;
		}
	}

	/** Hangs up. */
	async leave(): Promise<void> {
		const call = this.call;
		if (!call || this.phase === 'idle') return;
		this.#teardown(null);
		try {
			await realtime.call({ action: 'leave', call });
		} catch (err) {
			// The server lets the participation lapse after the grace period anyway.
			this.error = `Leaving the call failed: ${describeError(err)}`;
		}
	}

	async toggleMute(): Promise<void> {
		const muted = !this.muted;
		if (!muted && !this.media.mic) {
			try {
				this.#sendTrack('audio', await this.media.openMic());
				this.#meter.watch('me', this.media.micStream);
			} catch (err) {
				this.error = describeMediaError('microphone', err);
				return;
			}
		}
		this.muted = muted;
		this.#applyMic();
		await this.#updateState({ muted: muted || this.deafened }, () => {
			this.muted = !muted;
			this.#applyMic();
		});
	}

	async toggleDeafen(): Promise<void> {
		const deafened = !this.deafened;
		this.deafened = deafened;
		this.#applyMic();
		await this.#updateState({ deafened, muted: deafened || this.muted }, () => {
			this.deafened = !deafened;
			this.#applyMic();
		});
	}

	toggleCamera(): Promise<void> {
		return this.#toggleVideo('camera');
	}

	toggleScreen(): Promise<void> {
		return this.#toggleVideo('screen');
	}

	/** Switches the microphone or camera to another device (remembered for next time). */
	async chooseDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
		this.media.choose(kind === 'audio' ? { audioInput: deviceId } : { videoInput: deviceId });
		if (this.phase !== 'joined') return;
		try {
			if (kind === 'audio' && this.media.mic) {
				this.#sendTrack('audio', await this.media.openMic());
				this.#applyMic();
				this.#meter.watch('me', this.media.micStream);
			} else if (kind === 'video' && this.media.camera) {
				this.#sendTrack('camera', await this.media.startCamera());
			}
		} catch (err) {
			this.error = describeMediaError(kind === 'audio' ? 'microphone' : 'camera', err);
		}
	}

	/** A moderator removes someone from a voice channel's call. */
	async removeParticipant(channelId: string, userId: string): Promise<void> {
		await unwrap(
			api.DELETE('/api/v1/channels/{channel_id}/call/participants/{user_id}', {
				params: { path: { channel_id: channelId, user_id: userId } }
			})
		);
	}

	async #toggleVideo(slot: 'camera' | 'screen'): Promise<void> {
		const isCamera = slot === 'camera';
		const on = isCamera ? !this.camera : !this.screenSharing;
		const field = isCamera ? 'camera' : 'screen_sharing';
		const stop = () => {
			if (isCamera) this.media.stopCamera();
			else this.media.stopScreen();
			this.#sendTrack(slot, null);
		};
		if (!on) {
			stop();
			await this.#updateState({ [field]: false });
			return;
		}
		try {
			this.#sendTrack(slot, isCamera ? await this.media.startCamera() : await this.media.startScreen());
		} catch (err) {
			// Cancelling the browser's screen picker is no error.
			if (isCamera || !(err instanceof Error && err.name === 'NotAllowedError')) {
				this.error = describeMediaError(isCamera ? 'camera' : 'screen share', err);
			}
			return;
		}
		await this.#updateState({ [field]: true }, stop);
	}

	async #joinOnServer(): Promise<void> {
		const call = this.call;
		const me = this.userId;
		if (!call || !me) throw new Error('Not signed in.');
		const state = await realtime.call<CallState>({
			action: 'join',
			call,
			muted: this.muted || this.deafened,
			deafened: this.deafened,
			camera: this.camera
		});
		if (!sameCall(this.call, call)) return;
		this.roster = reduceRoster([], { type: 'snapshot', participants: state.participants });
		this.maxParticipants = state.max_participants;
		this.phase = 'joined';
		if (this.screenSharing) void this.#updateState({ screen_sharing: true });
		this.#applyMic();
		this.#meter.watch('me', this.media.micStream);
		// Kept across a rejoin: it remembers the peer connections it replaced.
		this.mesh ??= new Mesh({
			call,
			me,
			iceServers: this.#iceServers,
			localTrack: (slot) => this.#localTrack(slot),
			meter: this.#meter
		});
		this.mesh.connectAll(this.roster);
		for (const effect of this.#backlog.splice(0)) effect();
	}

	/** After a reconnect the server moves us to the new connection; every peer starts over. */
	async #rejoin(): Promise<void> {
		this.phase = 'rejoining';
		this.#backlog = [];
		try {
			await this.#joinOnServer();
		} catch (err) {
			this.#teardown(`The call was lost after reconnecting: ${describeError(err)}`);
		}
	}

	#deliver(call: CallId, effect: () => void): void {
		if (this.phase === 'idle' || !sameCall(this.call, call)) return;
		if (this.phase === 'joined') effect();
		else this.#backlog.push(effect);
	}

	#onLeft(userId: string, reason: LeaveReason): void {
		if (userId === this.userId) {
			this.#teardown(LEAVE_REASONS[reason]);
			return;
		}
		this.mesh?.close(userId);
		this.roster = reduceRoster(this.roster, { type: 'left', userId });
	}

	#onRoster(event: RosterEvent & { type: 'joined' | 'updated' }): void {
		const participant = event.participant;
		const mine = this.me;
		if (event.type === 'joined' && mine && participant.user_id === mine.user_id && Date.parse(participant.joined_at) !== Date.parse(mine.joined_at)) {
			// Not the echo of our own join: another tab or device took the participation over.
			this.#teardown('You joined this call from another tab or device.');
			return;
		}
		this.roster = reduceRoster(this.roster, event);
		if (participant.user_id !== this.userId) {
			if (event.type === 'joined') this.mesh?.joined(this.me, participant);
			return;
		}
		// The server keeps someone who may not speak muted (a timeout, lost `speak`).
		if (!participant.can_speak && !this.muted) {
			this.muted = true;
			this.#applyMic();
		}
	}

	#localTrack(slot: MediaSlot): MediaStreamTrack | null {
		if (slot === 'audio') return this.media.mic;
		return slot === 'camera' ? this.media.camera : this.media.screen;
	}

	#sendTrack(slot: MediaSlot, track: MediaStreamTrack | null): void {
		this.mesh?.setTrack(slot, track);
	}

	#applyMic(): void {
		if (this.media.mic) this.media.mic.enabled = !this.muted && !this.deafened;
	}

	async #updateState(change: Record<string, boolean>, revert?: () => void): Promise<void> {
		const call = this.call;
		if (!call || this.phase !== 'joined') return;
		try {
			const participant = await realtime.call<Participant>({ action: 'update_state', call, ...change });
			if (this.isIn(call)) this.roster = reduceRoster(this.roster, { type: 'updated', participant });
		} catch (err) {
			revert?.();
			this.error = describeError(err);
		}
	}

	#newMeter(): LevelMeter {
		return new LevelMeter((key, speaking) => (this.speaking[key] = speaking));
	}

	#teardown(reason: string | null): void {
		this.mesh?.closeAll();
		this.mesh = null;
		this.#meter.close();
		this.#meter = this.#newMeter();
		this.media.stopAll();
		this.speaking = {};
		this.#backlog = [];
		this.roster = [];
		this.call = null;
		this.phase = 'idle';
		this.muted = false;
		this.deafened = false;
		this.ended = reason;
	}
}

export const callSession = new CallSession();
