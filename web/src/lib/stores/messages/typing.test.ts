import { describe, expect, it } from 'vitest';
import { TypingSet, TypingThrottle, typingSentence } from './typing';

describe('TypingSet', () => {
	it('lists those still typing, without the reader, and forgets expired ones', () => {
		const set = new TypingSet();
		set.start('alice', 1000);
		set.start('me', 1000);
		set.start('bob', 3000);
		expect(set.active(500, 'me')).toEqual(['alice', 'bob']);
		expect(set.active(2000, 'me')).toEqual(['bob']);
		set.stop('bob');
		expect(set.active(2000, 'me')).toEqual([]);
	});
});

describe('typingSentence', () => {
	it('names up to three people', () => {
		expect(typingSentence([])).toBe('');
		expect(typingSentence(['Alice'])).toBe('Alice is typing…');
		expect(typingSentence(['Alice', 'Bob'])).toBe('Alice and Bob are typing…');
		expect(typingSentence(['A', 'B', 'C', 'D'])).toBe('Several people are typing…');
	});
});

describe('TypingThrottle', () => {
	it('sends at most once per interval, again after a reset', () => {
		const throttle = new TypingThrottle(4000);
		expect(throttle.shouldSend(0)).toBe(true);
		expect(throttle.shouldSend(1000)).toBe(false);
		expect(throttle.shouldSend(4000)).toBe(true);
		throttle.reset();
		expect(throttle.shouldSend(4100)).toBe(true);
	});
});
