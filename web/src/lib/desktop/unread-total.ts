// The number on the desktop app's tray icon / badge, Discord-like: what would call for the
// user's attention. Per text channel, by its notification level: `mentions` (the default) counts
// its unread mentions, `all` its unread messages, `none` nothing. Per conversation (level `all`
// by default, or `mentions`): one for each with unseen messages; this client keeps conversation
// unread state as a mark per conversation, not a message count. `none` counts nothing.

export type Level = 'all' | 'mentions' | 'none';

export function unreadTotal(
	channels: readonly { channel_id: string; unread_count: number; mention_count: number }[],
	unreadConversations: readonly string[],
	levelOf: (kind: 'channel' | 'conversation', id: string) => Level
): number {
	let total = 0;
	for (const state of channels) {
		const level = levelOf('channel', state.channel_id);
		if (level === 'all') total += state.unread_count;
		else if (level === 'mentions') total += state.mention_count;
	}
	for (const id of unreadConversations) if (levelOf('conversation', id) !== 'none') total += 1;
	return total;
}
