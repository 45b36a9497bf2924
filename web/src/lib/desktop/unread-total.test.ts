import { expect, it } from 'vitest';
import { unreadTotal, type Level } from './unread-total';

it('counts mentions by default, every unread message at `all`, nothing at `none`', () => {
	const channels = [
		{ channel_id: 'a', unread_count: 5, mention_count: 1 },
		{ channel_id: 'b', unread_count: 7, mention_count: 0 },
		{ channel_id: 'c', unread_count: 3, mention_count: 3 }
	];
	const levels: Record<string, Level> = { b: 'all', c: 'none', muted: 'none' };
	const levelOf = (kind: 'channel' | 'conversation', id: string) =>
		levels[id] ?? (kind === 'channel' ? 'mentions' : 'all');
	expect(unreadTotal(channels, ['x', 'muted'], levelOf)).toBe(1 + 7 + 0 + 1);
	expect(unreadTotal([], [], levelOf)).toBe(0);
});
