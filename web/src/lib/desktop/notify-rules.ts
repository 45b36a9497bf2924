// When the desktop app shows a notification for a message, and what it says. Pure functions
// (tested in notify-rules.test.ts); notifier.svelte.ts feeds them the live messages.
//
// A message notifies when someone else wrote it, its channel's or conversation's level allows it
// (`all`: every message; `mentions`: only those that mention the user; `none`: never), and the
// user is not looking at it (the window hidden or unfocused, or another place open).

export type Level = 'all' | 'mentions' | 'none';
export type PlaceKind = 'channel' | 'conversation';
export interface Place {
	kind: PlaceKind;
	id: string;
}

/** What the user is looking at right now. */
export interface Attention {
	/** The window is shown and has the focus. */
	watching: boolean;
	/** The channel or conversation open in the app, if any. */
	open: Place | null;
}

export interface Incoming {
	place: Place;
	authorId: string;
	/** Whether it mentions the user (see `channelMentionsMe` and `textMentionsMe`). */
	mentionsMe: boolean;
}

export function shouldNotify(message: Incoming, myUserId: string, level: Level, attention: Attention): boolean {
	if (message.authorId === myUserId) return false;
	if (level === 'none') return false;
	if (level === 'mentions' && !message.mentionsMe) return false;
	const looking =
		attention.watching &&
		attention.open?.kind === message.place.kind &&
		attention.open.id === message.place.id;
	return !looking;
}

/** A channel message's `mentions` (as the server recorded them) name the user, a role of theirs, or everyone/here. */
export function channelMentionsMe(
	mentions: { everyone: boolean; roles: readonly string[]; users: readonly string[] },
	me: { userId: string; roleIds: readonly string[] }
): boolean {
	return mentions.everyone || mentions.users.includes(me.userId) || mentions.roles.some((r) => me.roleIds.includes(r));
}

function escapeRegExp(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Decrypted conversation text mentions the user: `<@id>`, `@username`, `@everyone` or `@here`. */
export function textMentionsMe(text: string, me: { userId: string; username: string | null }): boolean {
	if (text.includes(`<@${me.userId}>`)) return true;
	const names = ['everyone', 'here', ...(me.username ? [me.username] : [])].map(escapeRegExp).join('|');
	return new RegExp(`(^|[^\\w@])@(${names})(?![\\w])`, 'i').test(text);
}

/** The place a path of the app shows (`/app/c/COMMUNITY/CHANNEL`, `/app/dm/CONVERSATION`). */
export function placeOfPath(pathname: string): Place | null {
	const channel = /^\/app\/c\/[^/]+\/([^/]+)\/?$/.exec(pathname);
	if (channel?.[1] && channel[1] !== 'settings') return { kind: 'channel', id: channel[1] };
	const conversation = /^\/app\/dm\/([^/]+)\/?$/.exec(pathname);
	if (conversation?.[1]) return { kind: 'conversation', id: conversation[1] };
	return null;
}

const BODY_LIMIT = 160;

/** A short one-line body: whitespace folded, cut at a word near the limit. */
export function shortBody(text: string, limit = BODY_LIMIT): string {
	const line = text.replace(/\s+/g, ' ').trim();
	if (line.length <= limit) return line;
	const cut = line.slice(0, limit - 1);
	const space = cut.lastIndexOf(' ');
	return `${space > limit / 2 ? cut.slice(0, space) : cut}…`;
}

/** "Ann in #general" / "Ann in Weekend plans" / "Ann" (a direct conversation is its author). */
export function notificationTitle(author: string, placeName: string | null): string {
	return placeName ? `${author} in ${placeName}` : author;
}
