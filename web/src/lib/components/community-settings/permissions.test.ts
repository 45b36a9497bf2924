import { describe, expect, it } from 'vitest';
import {
	PERMISSIONS,
	colorToHex,
	hexToColor,
	inSeconds,
	moved,
	overwriteLists,
	overwriteStates,
	validSlowMode
} from './permissions';

describe('overwrite states', () => {
	it('reads allow, deny and inherit from the lists', () => {
		const states = overwriteStates(['send_messages'], ['view_channel']);
		expect(states.send_messages).toBe('allow');
		expect(states.view_channel).toBe('deny');
		expect(states.speak).toBe('inherit');
		expect(Object.keys(states)).toHaveLength(PERMISSIONS.length);
	});

	it('round-trips to lists in the server order', () => {
		const lists = overwriteLists({ speak: 'deny', view_channel: 'allow', send_messages: 'deny', video: 'inherit' });
		expect(lists).toEqual({ allow: ['view_channel'], deny: ['send_messages', 'speak'] });
		expect(overwriteLists(overwriteStates(lists.allow, lists.deny))).toEqual(lists);
	});
});

describe('role colours', () => {
	it('converts both ways', () => {
		expect(colorToHex(0x4752c4)).toBe('#4752c4');
		expect(colorToHex(0)).toBe('#000000');
		expect(hexToColor('#4752C4')).toBe(0x4752c4);
		expect(hexToColor('nonsense')).toBe(0);
	});
});

describe('slow mode', () => {
	it('is off or 5 to 600 seconds', () => {
		expect([0, 5, 600].every(validSlowMode)).toBe(true);
		expect([1, 4, 601, 2.5, -5].some(validSlowMode)).toBe(false);
	});
});

describe('moved', () => {
	it('moves an item and clamps at the ends', () => {
		expect(moved(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
		expect(moved(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
		expect(moved(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
		expect(moved(['a', 'b', 'c'], 2, 5)).toEqual(['a', 'b', 'c']);
	});
});

describe('inSeconds', () => {
	it('adds seconds to now', () => {
		expect(inSeconds(3600, Date.UTC(2025, 0, 1))).toBe('2025-01-01T01:00:00.000Z');
	});
});
