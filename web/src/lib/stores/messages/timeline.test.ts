import { describe, expect, it } from 'vitest';
import {
	applyReaction,
	continues,
	countThreadReply,
	firstUnreadId,
	mergeMessages,
	retryAfterSeconds,
	tombstone,
	updateMessage,
	type Message
} from './timeline';

const ME = 'aaaaaaaa-0000-7000-8000-000000000001';
const OTHER = 'aaaaaaaa-0000-7000-8000-000000000002';

/** Message ids in creation order: 0190...-0001, 0190...-0002, ... */
function id(n: number): string {
	return `01900000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

function msg(n: number, extra: Partial<Message> = {}): Message {
	return {
		message_id: id(n),
		channel_id: 'c',
		community_id: 'k',
		author_id: OTHER,
		body: `message ${n}`,
		created_at: new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString(),
		deleted: false,
		attachments: [],
		mentions: { everyone: false, roles: [], users: [] },
		nonce: `n${n}`,
		pinned: false,
		reactions: [],
		...extra
	};
}

const ids = (list: Message[]) => list.map((m) => m.message_id);

describe('mergeMessages', () => {
	it('merges an older page before the shown one, in id order, without duplicates', () => {
		const shown = [msg(5), msg(6), msg(7)];
		const older = [msg(3), msg(4), msg(5)];
		expect(ids(mergeMessages(shown, older))).toEqual([id(3), id(4), id(5), id(6), id(7)]);
	});

	it('ignores a live message that the send answer already added', () => {
		const afterSend = mergeMessages([msg(1)], [msg(2)]);
		const afterEvent = mergeMessages(afterSend, [msg(2)]);
		expect(ids(afterEvent)).toEqual([id(1), id(2)]);
	});

	it('orders live messages that arrive out of order', () => {
		expect(ids(mergeMessages([msg(1)], [msg(4), msg(2), msg(3)]))).toEqual([id(1), id(2), id(3), id(4)]);
	});

	it('keeps an edit when an older copy arrives later', () => {
		const edited = msg(2, { body: 'new', edited_at: '2025-01-02T00:00:00Z' });
		const merged = mergeMessages([msg(1), edited], [msg(2)]);
		expect(merged[1]!.body).toBe('new');
	});

	it('takes a newer edit', () => {
		const edited = msg(2, { body: 'new', edited_at: '2025-01-02T00:00:00Z' });
		expect(mergeMessages([msg(2)], [edited])[0]!.body).toBe('new');
	});

	it('keeps a deletion when an older copy arrives', () => {
		const merged = mergeMessages([tombstone(msg(2))], [msg(2)]);
		expect(merged[0]!.deleted).toBe(true);
		expect(merged[0]!.body).toBe('');
	});

	it("keeps the reader's own reactions when an event copy (me always false) arrives", () => {
		const known = msg(1, { reactions: [{ emoji: '👍', count: 2, me: true }] });
		const event = msg(1, { body: 'edited', edited_at: '2025-01-02T00:00:00Z', reactions: [{ emoji: '👍', count: 2, me: false }] });
		const merged = mergeMessages([known], [event]);
		expect(merged[0]!.reactions).toEqual([{ emoji: '👍', count: 2, me: true }]);
		expect(merged[0]!.body).toBe('edited');
	});
});

describe('edits, deletions, reactions', () => {
	it('updates one message and leaves the array alone when it is absent', () => {
		const list = [msg(1), msg(2)];
		const changed = updateMessage(list, id(2), (m) => ({ ...m, body: 'x' }));
		expect(changed[1]!.body).toBe('x');
		expect(list[1]!.body).toBe('message 2');
		expect(updateMessage(list, id(9), (m) => m)).toBe(list);
	});

	it('turns a deleted message into a tombstone', () => {
		const dead = tombstone(msg(1, { pinned: true, reactions: [{ emoji: '👍', count: 1, me: false }] }));
		expect(dead).toMatchObject({ deleted: true, body: '', pinned: false, reactions: [] });
	});

	it('counts reactions of others and the reader', () => {
		let m = applyReaction(msg(1), '👍', 1, false);
		expect(m.reactions).toEqual([{ emoji: '👍', count: 1, me: false }]);
		m = applyReaction(m, '👍', 1, true);
		expect(m.reactions).toEqual([{ emoji: '👍', count: 2, me: true }]);
		m = applyReaction(m, '🎉', 1, false);
		expect(m.reactions.map((r) => r.emoji)).toEqual(['👍', '🎉']);
		m = applyReaction(m, '🎉', -1, false);
		expect(m.reactions.map((r) => r.emoji)).toEqual(['👍']);
	});

	it("applies the reader's own reaction once (API answer, then the event)", () => {
		let m = applyReaction(msg(1), '👍', 1, true);
		m = applyReaction(m, '👍', 1, true);
		expect(m.reactions).toEqual([{ emoji: '👍', count: 1, me: true }]);
		m = applyReaction(m, '👍', -1, true);
		m = applyReaction(m, '👍', -1, true);
		expect(m.reactions).toEqual([]);
	});

	it('ignores removing a reaction nobody made', () => {
		const m = msg(1);
		expect(applyReaction(m, '👍', -1, false)).toBe(m);
	});

	it('counts thread replies on the root', () => {
		const root = countThreadReply(countThreadReply(msg(1), msg(2)), msg(3));
		expect(root.thread).toEqual({ reply_count: 2, last_reply_at: msg(3).created_at });
	});
});

describe('firstUnreadId (the "New messages" separator)', () => {
	const list = [msg(1), msg(2, { author_id: ME }), msg(3), msg(4)];

	it('is the first message of someone else after the read marker', () => {
		expect(firstUnreadId(list, id(2), ME, 2)).toBe(id(3));
		expect(firstUnreadId(list, id(1), ME, 2)).toBe(id(3)); // my own message is not unread
	});

	it('is absent when everything was read', () => {
		expect(firstUnreadId(list, id(4), ME, 0)).toBeNull();
	});

	it('skips deleted messages', () => {
		expect(firstUnreadId([msg(1), tombstone(msg(2)), msg(3)], id(1), ME, 1)).toBe(id(3));
	});

	it('without a marker: only when there are unread messages', () => {
		expect(firstUnreadId(list, null, ME, 0)).toBeNull();
		expect(firstUnreadId(list, null, ME, 3)).toBe(id(1));
	});
});

describe('helpers', () => {
	it('groups consecutive messages of one author within 5 minutes', () => {
		expect(continues(msg(1), msg(2))).toBe(true);
		expect(continues(msg(1), msg(2, { author_id: ME }))).toBe(false);
		expect(continues(msg(1), msg(20))).toBe(false);
		expect(continues(undefined, msg(1))).toBe(false);
	});

	it('reads the seconds to wait from a slow-mode refusal', () => {
		expect(retryAfterSeconds('slow mode is on: one message every 30 seconds; retry in 12 seconds')).toBe(12);
		expect(retryAfterSeconds('forbidden')).toBeNull();
	});
});
