// Who is in a call, for a view that shows it whether or not this tab joined: the REST snapshot
// (again after every reconnect: events are at-most-once) kept current by participant events.
import { api, describeError, unwrap } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';
import { reduceRoster } from './roster';
import { sameCall, type CallId, type CallState, type Participant } from './types';

function fetchCall(call: CallId): Promise<CallState> {
	return call.kind === 'channel'
		? unwrap(api.GET('/api/v1/channels/{channel_id}/call', { params: { path: { channel_id: call.id } } }))
		: unwrap(
				api.GET('/api/v1/conversations/{conversation_id}/call', {
					params: { path: { conversation_id: call.id } }
				})
			);
}

export class CallWatch {
	participants = $state.raw<Participant[]>([]);
	maxParticipants = $state(0);
	error = $state<string | null>(null);
	readonly call: CallId;

	constructor(call: CallId) {
		this.call = call;
	}

	/** Starts watching; returns the function that stops it. */
	start(): () => void {
		const mine = (call: CallId) => sameCall(call, this.call);
		const stops = [
			realtime.onReady(() => void this.refresh()),
			realtime.on('call_participant_joined', ({ call, participant }) => {
				if (mine(call)) this.participants = reduceRoster(this.participants, { type: 'joined', participant });
			}),
			realtime.on('call_participant_updated', ({ call, participant }) => {
				if (mine(call)) this.participants = reduceRoster(this.participants, { type: 'updated', participant });
			}),
			realtime.on('call_participant_left', ({ call, user_id }) => {
				if (mine(call)) this.participants = reduceRoster(this.participants, { type: 'left', userId: user_id });
			})
		];
		return () => stops.forEach((stop) => stop());
	}

	async refresh(): Promise<void> {
		try {
			const state = await fetchCall(this.call);
			this.participants = reduceRoster([], { type: 'snapshot', participants: state.participants });
			this.maxParticipants = state.max_participants;
			this.error = null;
		} catch (err) {
			this.error = `Could not load who is in the call: ${describeError(err)}`;
		}
	}
}
