// Unread and mention counts per text channel (sidebar badges, the desktop's tray count), from
// `ready` and `read_state_updated`, and counted up as others' messages arrive in channels not
// on screen (the server's count is the truth again at the next `ready` or read marker).
import { realtime } from '$lib/realtime/socket.svelte';
import type { Schemas } from '$lib/api/client';
import { session } from '$lib/session/session.svelte';
import { communities } from './communities.svelte';
import { channelMentionsMe, placeOfPath } from '$lib/desktop/notify-rules';

/** The server stops counting there (clients show "999+"). */
const COUNT_CAP = 1000;

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

	/** Another's new message in a channel the user is not looking at counts as unread. */
	#arrived(message: Schemas['Message']): void {
		const me = session.userId;
		const found = communities.findChannel(message.channel_id);
		if (!me || !found || message.author_id === me || message.deleted) return;
		// The open channel marks what arrives read itself (its read_state_updated follows).
		const open = placeOfPath(location.pathname);
		if (open?.kind === 'channel' && open.id === message.channel_id && document.visibilityState === 'visible') return;
		const state = this.byChannel[message.channel_id] ?? {
			channel_id: message.channel_id,
			last_read_message_id: null,
			unread_count: 0,
			mention_count: 0
		};
		const mentioned = channelMentionsMe(message.mentions, { userId: me, roleIds: found.view.me.role_ids });
		this.byChannel[message.channel_id] = {
			...state,
			unread_count: Math.min(COUNT_CAP, state.unread_count + 1),
			mention_count: Math.min(COUNT_CAP, state.mention_count + (mentioned ? 1 : 0))
		};
	}

	listen(): void {
		realtime.on('message_created', ({ message }) => this.#arrived(message));
		realtime.onReady((ready) => {
			this.byChannel = {};
			this.apply(ready.read_states);
		});
		realtime.on('read_state_updated', ({ states }) => this.apply(states));
	}
}

export const readStates = new ReadStates();
