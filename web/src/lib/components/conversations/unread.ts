// Which conversations have activity the user has not seen, kept per browser: the time of the
// last activity seen per conversation, and a baseline (the newest activity when this browser
// first listed the conversations) for those never opened here.

export interface ReadMarks {
	baseline: string | null;
	seen: Record<string, string>;
}

export function emptyMarks(): ReadMarks {
	return { baseline: null, seen: {} };
}

const later = (a: string | undefined | null, b: string | undefined | null) =>
	Date.parse(a ?? '') > Date.parse(b ?? '') || (!!a && !b);

/** Whether activity at `lastActivityAt` is newer than what was seen of the conversation. */
export function isUnread(marks: ReadMarks, conversationId: string, lastActivityAt: string): boolean {
	const seen = marks.seen[conversationId] ?? marks.baseline;
	return seen === null ? true : later(lastActivityAt, seen);
}

/** The marks after seeing a conversation up to `at` (never moving back). */
export function markSeen(marks: ReadMarks, conversationId: string, at: string): ReadMarks {
	const current = marks.seen[conversationId];
	if (current && !later(at, current)) return marks;
	return { ...marks, seen: { ...marks.seen, [conversationId]: at } };
}

/** The first listing in this browser: what exists is considered seen. */
export function withBaseline(marks: ReadMarks, activity: readonly string[]): ReadMarks {
	if (marks.baseline !== null) return marks;
	const newest = activity.reduce<string | null>((max, at) => (later(at, max) ? at : max), null);
	return { ...marks, baseline: newest ?? new Date(0).toISOString() };
}

export function parseMarks(raw: string | null): ReadMarks {
	if (!raw) return emptyMarks();
	try {
		const value = JSON.parse(raw) as Partial<ReadMarks>;
		const seen: Record<string, string> = {};
		for (const [id, at] of Object.entries(value.seen ?? {})) if (typeof at === 'string') seen[id] = at;
		return { baseline: typeof value.baseline === 'string' ? value.baseline : null, seen };
	} catch {
		return emptyMarks();
	}
}

/** The newest of `receipts` (message ids are UUIDv7: their order is time order). */
export function newestId(a: string | undefined, b: string): string {
	return a && a > b ? a : b;
}

/** Who (besides `me`) has read up to `messageId`, from their read markers. */
export function seenBy(receipts: Record<string, string>, messageId: string, me: string): string[] {
	return Object.entries(receipts)
		.filter(([userId, read]) => userId !== me && read >= messageId)
		.map(([userId]) => userId);
}
