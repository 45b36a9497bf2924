import { describe, expect, it } from 'vitest';
import {
	channelMentionsMe,
	notificationTitle,
	placeOfPath,
	shortBody,
	shouldNotify,
	textMentionsMe,
	type Attention,
	type Incoming
} from './notify-rules';

const ME = 'u-me';
const inChannel: Incoming = { place: { kind: 'channel', id: 'ch1' }, authorId: 'u-ann', mentionsMe: false };
const away: Attention = { watching: false, open: null };

describe('shouldNotify', () => {
	it('follows the level: all, mentions only, nothing', () => {
		expect(shouldNotify(inChannel, ME, 'all', away)).toBe(true);
		expect(shouldNotify(inChannel, ME, 'mentions', away)).toBe(false);
		expect(shouldNotify({ ...inChannel, mentionsMe: true }, ME, 'mentions', away)).toBe(true);
		expect(shouldNotify({ ...inChannel, mentionsMe: true }, ME, 'none', away)).toBe(false);
	});
	it('never for the user’s own messages', () => {
		expect(shouldNotify({ ...inChannel, authorId: ME, mentionsMe: true }, ME, 'all', away)).toBe(false);
	});
	it('not while the user looks at that place, but elsewhere or with the window hidden', () => {
		const here: Attention = { watching: true, open: { kind: 'channel', id: 'ch1' } };
		expect(shouldNotify(inChannel, ME, 'all', here)).toBe(false);
		expect(shouldNotify(inChannel, ME, 'all', { ...here, watching: false })).toBe(true);
		expect(shouldNotify(inChannel, ME, 'all', { watching: true, open: { kind: 'channel', id: 'ch2' } })).toBe(true);
		// A conversation with the same id as the open channel is another place.
		expect(shouldNotify(inChannel, ME, 'all', { watching: true, open: { kind: 'conversation', id: 'ch1' } })).toBe(true);
	});
});

describe('mentions', () => {
	const me = { userId: ME, roleIds: ['r-mod'] };
	it('in a channel: the user, one of their roles, or everyone', () => {
		expect(channelMentionsMe({ everyone: false, roles: [], users: [ME] }, me)).toBe(true);
		expect(channelMentionsMe({ everyone: false, roles: ['r-mod'], users: [] }, me)).toBe(true);
		expect(channelMentionsMe({ everyone: true, roles: [], users: [] }, me)).toBe(true);
		expect(channelMentionsMe({ everyone: false, roles: ['r-other'], users: ['u-ann'] }, me)).toBe(false);
	});
	it('in decrypted text: <@id>, @username, @everyone, @here, as whole words', () => {
		const who = { userId: ME, username: 'bob.s' };
		for (const yes of [`hi <@${ME}>`, '@bob.s look', 'ping @Bob.S!', '@everyone', 'hey (@here)']) {
			expect(textMentionsMe(yes, who), yes).toBe(true);
		}
		for (const no of ['@bob.smith', 'mail bob.s@example.com', 'everyone here', '<@u-other>', '@@here']) {
			expect(textMentionsMe(no, who), no).toBe(false);
		}
	});
});

describe('places and texts', () => {
	it('finds the open channel or conversation from the path', () => {
		expect(placeOfPath('/app/c/co1/ch1')).toEqual({ kind: 'channel', id: 'ch1' });
		expect(placeOfPath('/app/dm/cv1')).toEqual({ kind: 'conversation', id: 'cv1' });
		expect(placeOfPath('/app/c/co1/settings')).toBeNull();
		expect(placeOfPath('/app/c/co1')).toBeNull();
		expect(placeOfPath('/app/settings')).toBeNull();
	});
	it('keeps bodies short and titles readable', () => {
		expect(shortBody('  two\n\nlines  ')).toBe('two lines');
		const long = shortBody('word '.repeat(100), 40);
		expect(long.length).toBeLessThanOrEqual(40);
		expect(long.endsWith('word…')).toBe(true);
		expect(notificationTitle('Ann', '#general')).toBe('Ann in #general');
		expect(notificationTitle('Ann', null)).toBe('Ann');
	});
});
