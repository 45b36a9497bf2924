// Unread and mention counts per text channel (sidebar badges), from `ready` and
// `read_state_updated`.
import { realtime } from '$lib/realtime/socket.svelte';
import type { Schemas } from '$lib/api/client';

export type ChannelReadState = Schemas['ChannelReadState'];

class ReadStates {
	byChannel = $state<Record<string, ChannelReadState>>({});

	of(channelId: string): ChannelReadState | undefined {
		return this.byChannel[channelId];
	}

	/** Totals over some channels (a community's badge). */
	totals(channelIds: string[]): { unread: number; mentions: number } {
		let unread = 0;
		let mentions = 0;
		for (const id of channelIds) {
			const state = this.byChannel[id];
			if (!state) continue;
			unread += state.unread_count;
			mentions += state.mention_count;
		}
		return { unread, mentions };
	}

	apply(states: ChannelReadState[]): void {
		for (const state of states) this.byChannel[state.channel_id] = state;
	}

	listen(): void {
		realtime.onReady((ready) => {
			this.byChannel = {};
			this.apply(ready.read_states);
		});
		realtime.on('read_state_updated', ({ states }) => this.apply(states));
	}
}

export const readStates = new ReadStates();
