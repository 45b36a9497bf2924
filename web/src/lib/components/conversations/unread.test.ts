import { describe, expect, it } from 'vitest';
import { emptyMarks, isUnread, markSeen, newestId, parseMarks, seenBy, withBaseline } from './unread';

describe('unread marks', () => {
	const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

	it('treats what existed at the first listing as seen, and later activity as unread', () => {
		const marks = withBaseline(emptyMarks(), [t(1), t(5), t(3)]);
		expect(marks.baseline).toBe(t(5));
		expect(isUnread(marks, 'a', t(5))).toBe(false);
		expect(isUnread(marks, 'a', t(6))).toBe(true);
		expect(withBaseline(marks, [t(9)])).toBe(marks);
	});

	it('starts from the epoch when there was nothing', () => {
		const marks = withBaseline(emptyMarks(), []);
		expect(isUnread(marks, 'new', t(0))).toBe(true);
	});

	it('marks forward only', () => {
		let marks = markSeen(withBaseline(emptyMarks(), []), 'a', t(4));
		expect(isUnread(marks, 'a', t(4))).toBe(false);
		marks = markSeen(marks, 'a', t(2));
		expect(marks.seen.a).toBe(t(4));
		expect(isUnread(marks, 'a', t(7))).toBe(true);
	});

	it('parses what it stored and survives garbage', () => {
		const marks = markSeen(withBaseline(emptyMarks(), [t(1)]), 'a', t(2));
		expect(parseMarks(JSON.stringify(marks))).toEqual(marks);
		expect(parseMarks('{')).toEqual(emptyMarks());
		expect(parseMarks('{"seen":{"a":1}}')).toEqual(emptyMarks());
	});
});

describe('receipts', () => {
	it('keeps the newest read marker and lists who saw a message', () => {
		expect(newestId('0190-b', '0190-a')).toBe('0190-b');
		expect(newestId(undefined, '0190-a')).toBe('0190-a');
		const receipts = { me: '0190-z', bob: '0190-c', carol: '0190-a' };
		expect(seenBy(receipts, '0190-b', 'me')).toEqual(['bob']);
	});
});
