// Mention autocomplete in the composer. The text area shows "@Name"; the server expects
// `<@user_id>` (message-svc/src/domain/mentions.rs), so names chosen from the list are remembered
// and encoded on send, and decoded back to names when a message is edited. Tested in mentions.test.ts.

/** The "@word" being typed just before the caret: where it starts and what was typed after "@". */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
	const before = text.slice(0, caret);
	const match = /(^|[\s(])@([^\s@<>]{0,32})$/.exec(before);
	const query = match?.[2];
	if (query === undefined) return null;
	return { start: caret - query.length - 1, query };
}

/** The text with the query replaced by "@name " and where the caret goes. */
export function insertMention(
	text: string,
	caret: number,
	start: number,
	name: string
): { text: string; caret: number } {
	const inserted = `@${name} `;
	return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** Replaces "@Name" of chosen mentions with `<@user_id>` (longest names first). */
export function encodeMentions(text: string, chosen: Map<string, string>): string {
	const names = [...chosen.keys()].sort((a, b) => b.length - a.length);
	let out = text;
	for (const name of names) {
		const pattern = new RegExp(`(^|[^\\w])@${escapeRegExp(name)}(?![\\w])`, 'g');
		out = out.replace(pattern, (_m, lead: string) => `${lead}<@${chosen.get(name)}>`);
	}
	return out;
}

/** Replaces `<@user_id>` with "@Name" and returns the names it used (for encoding again). */
export function decodeMentions(
	text: string,
	nameOf: (userId: string) => string | null
): { text: string; chosen: Map<string, string> } {
	const chosen = new Map<string, string>();
	const decoded = text.replace(/<@([0-9a-fA-F-]{36})>/g, (all, id: string) => {
		const name = nameOf(id);
		if (!name) return all;
		chosen.set(name, id);
		return `@${name}`;
	});
	return { text: decoded, chosen };
}

/** Members whose names start with (or contain) the query, best first, at most `limit`. */
export function matchMembers<T>(items: T[], query: string, names: (item: T) => string[], limit = 8): T[] {
	const q = query.toLowerCase();
	const scored: { item: T; score: number }[] = [];
	for (const item of items) {
		const all = names(item).map((n) => n.toLowerCase());
		const score = all.some((n) => n.startsWith(q)) ? 0 : all.some((n) => n.includes(q)) ? 1 : -1;
		if (score >= 0) scored.push({ item, score });
	}
	return scored.sort((a, b) => a.score - b.score).slice(0, limit).map((s) => s.item);
}

function escapeRegExp(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
