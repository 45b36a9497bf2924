// Who is online: presences from `ready` and `presence_updated`, and the user's own settings.
import { realtime } from '$lib/realtime/socket.svelte';
import type { Schemas } from '$lib/api/client';

export type Presence = Schemas['Presence'];
export type PresenceSettings = Schemas['PresenceSettings'];

class Presences {
	byUser = $state<Record<string, Presence>>({});
	mine = $state<PresenceSettings | null>(null);

	of(userId: string): Presence {
		return this.byUser[userId] ?? { user_id: userId, status: 'offline' };
	}

	listen(): void {
		realtime.onReady((ready) => {
			this.byUser = Object.fromEntries(ready.presences.map((p) => [p.user_id, p]));
		});
		realtime.on('presence_updated', ({ presence, settings }) => {
			this.byUser[presence.user_id] = presence;
			if (settings) this.mine = settings;
		});
	}
}

export const presences = new Presences();
