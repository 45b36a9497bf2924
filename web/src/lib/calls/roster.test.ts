import { describe, expect, it } from 'vitest';
import { inRoster, reduceRoster } from './roster';
import type { Participant } from './types';

function participant(userId: string, joinedAt: string, extra: Partial<Participant> = {}): Participant {
	return {
		user_id: userId,
		joined_at: joinedAt,
		muted: false,
		deafened: false,
		camera: false,
		screen_sharing: false,
		can_speak: true,
		can_video: true,
		connected: true,
		...extra
	};
}

const alice = participant('a', '2026-01-01T10:00:00Z');
const bob = participant('b', '2026-01-01T10:00:05Z');
const carol = participant('c', '2026-01-01T10:00:10Z');

describe('call roster', () => {
	it('takes a snapshot in join order', () => {
		expect(reduceRoster([], { type: 'snapshot', participants: [carol, alice, bob] })).toEqual([
			alice,
			bob,
			carol
		]);
	});

	it('adds joiners and replaces a participant who joins again', () => {
		let roster = reduceRoster([], { type: 'joined', participant: bob });
		roster = reduceRoster(roster, { type: 'joined', participant: alice });
		expect(roster.map((p) => p.user_id)).toEqual(['a', 'b']);
		const again = participant('a', '2026-01-01T10:01:00Z');
		roster = reduceRoster(roster, { type: 'joined', participant: again });
		expect(roster).toEqual([bob, again]);
	});

	it('applies updates, even one that overtook its join', () => {
		const muted = { ...bob, muted: true };
		let roster = reduceRoster([alice, bob], { type: 'updated', participant: muted });
		expect(roster).toEqual([alice, muted]);
		roster = reduceRoster([alice], { type: 'updated', participant: carol });
		expect(roster).toEqual([alice, carol]);
	});

	it('removes leavers, harmlessly twice, and never mutates its input', () => {
		const before = [alice, bob];
		const after = reduceRoster(before, { type: 'left', userId: 'a' });
		expect(after).toEqual([bob]);
		expect(reduceRoster(after, { type: 'left', userId: 'a' })).toEqual([bob]);
		expect(before).toEqual([alice, bob]);
		expect(reduceRoster(before, { type: 'clear' })).toEqual([]);
	});

	it('says who is in', () => {
		expect(inRoster([alice], 'a')).toBe(true);
		expect(inRoster([alice], 'b')).toBe(false);
		expect(inRoster([alice], null)).toBe(false);
	});
});
