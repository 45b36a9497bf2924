// How much each channel and conversation may notify: the user's chosen levels (kept on the
// server, so every device agrees) over the defaults (channels: mentions, conversations: all).
// Loaded after each `ready`, changed from the channel and conversation headers.
import { onAppStart } from '$lib/app';
import { describeError } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';
import { fetchLevels, putLevel, type LevelTargetKind, type NotificationLevel } from './api';

export type { LevelTargetKind, NotificationLevel } from './api';

class Levels {
	channels = $state<Record<string, NotificationLevel>>({});
	conversations = $state<Record<string, NotificationLevel>>({});
	defaults = $state<{ channel: NotificationLevel; conversation: NotificationLevel }>({
		channel: 'mentions',
		conversation: 'all'
	});
	/** Why the levels could not be loaded (the defaults apply meanwhile). */
	error = $state<string | null>(null);

	/** The level chosen for one target, or null when it follows the default. */
	chosen(kind: LevelTargetKind, id: string): NotificationLevel | null {
		return (kind === 'channel' ? this.channels : this.conversations)[id] ?? null;
	}

	/** The level in force for one target. */
	of(kind: LevelTargetKind, id: string): NotificationLevel {
		return this.chosen(kind, id) ?? this.defaults[kind];
	}

	/** Chooses a level (null: back to the default) on the server, then here. */
	async set(kind: LevelTargetKind, id: string, level: NotificationLevel | null): Promise<void> {
		await putLevel(kind, id, level);
		this.#apply(kind, id, level);
	}

	async load(): Promise<void> {
		try {
			const levels = await fetchLevels();
			this.channels = levels.channels;
			this.conversations = levels.conversations;
			this.defaults = levels.defaults;
			this.error = null;
		} catch (err) {
			this.error = describeError(err);
		}
	}

	#apply(kind: LevelTargetKind, id: string, level: NotificationLevel | null): void {
		const map = kind === 'channel' ? this.channels : this.conversations;
		if (level) map[id] = level;
		else delete map[id];
	}

	listen(): void {
		realtime.onReady(() => void this.load());
		realtime.on('notification_level_updated', ({ target, level }) => this.#apply(target.kind, target.id, level ?? null));
	}
}

export const notificationLevels = new Levels();
onAppStart(() => notificationLevels.listen());
