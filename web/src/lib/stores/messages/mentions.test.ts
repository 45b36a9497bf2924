import { describe, expect, it } from 'vitest';
import { decodeMentions, encodeMentions, insertMention, matchMembers, mentionQuery } from './mentions';

const ALICE = '01900000-0000-7000-8000-00000000000a';
const BOB = '01900000-0000-7000-8000-00000000000b';

describe('mention autocomplete', () => {
	it('finds the word after @ before the caret', () => {
		expect(mentionQuery('hi @al', 6)).toEqual({ start: 3, query: 'al' });
		expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
		expect(mentionQuery('mail me@home', 12)).toBeNull();
		expect(mentionQuery('hi @al there', 12)).toBeNull();
	});

	it('inserts the chosen name and moves the caret after it', () => {
		expect(insertMention('hi @al!', 6, 3, 'Alice Smith')).toEqual({ text: 'hi @Alice Smith !', caret: 16 });
	});

	it('encodes chosen names as <@id> and decodes them back', () => {
		const chosen = new Map([
			['Alice Smith', ALICE],
			['Alice', BOB]
		]);
		const encoded = encodeMentions('@Alice Smith and @Alice, not me@Alice', chosen);
		expect(encoded).toBe(`<@${ALICE}> and <@${BOB}>, not me@Alice`);
		const names: Record<string, string> = { [ALICE]: 'Alice Smith', [BOB]: 'Alice' };
		const decoded = decodeMentions(encoded, (id) => names[id] ?? null);
		expect(decoded.text).toBe('@Alice Smith and @Alice, not me@Alice');
		expect(encodeMentions(decoded.text, decoded.chosen)).toBe(encoded);
	});

	it('ranks prefix matches first', () => {
		const people = ['Bob', 'Alice', 'Malik'];
		expect(matchMembers(people, 'ali', (p) => [p])).toEqual(['Alice', 'Malik']);
		expect(matchMembers(people, '', (p) => [p], 2)).toEqual(['Bob', 'Alice']);
	});
});
