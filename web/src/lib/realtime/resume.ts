// The last message id seen per channel and per conversation, sent in `identify { resume }` after
// a reconnect so the gateway replays what was missed. At most 500 places in all (the server's
// bound); the least recently active are dropped first.

export const MAX_PLACES = 500;

export class ResumePoints {
	#places = new Map<string, { kind: 'channel' | 'conversation'; id: string; last: string }>();

	/** Records that `messageId` is the newest message seen in that place. */
	seen(kind: 'channel' | 'conversation', placeId: string, messageId: string): void {
		const key = `${kind}:${placeId}`;
		this.#places.delete(key);
		this.#places.set(key, { kind, id: placeId, last: messageId });
		if (this.#places.size > MAX_PLACES) {
			const oldest = this.#places.keys().next().value;
			if (oldest !== undefined) this.#places.delete(oldest);
		}
	}

	/** Forgets a place (its history was refetched, or the user left it). */
	forget(kind: 'channel' | 'conversation', placeId: string): void {
		this.#places.delete(`${kind}:${placeId}`);
	}

	get size(): number {
		return this.#places.size;
	}

	/** The `resume` object of `identify`, or undefined when nothing was seen yet. */
	toResume():
		| { channels: Record<string, string>; conversations: Record<string, string> }
		| undefined {
		if (this.#places.size === 0) return undefined;
		const channels: Record<string, string> = {};
		const conversations: Record<string, string> = {};
		for (const place of this.#places.values()) {
			(place.kind === 'channel' ? channels : conversations)[place.id] = place.last;
		}
		return { channels, conversations };
	}
}

/** Milliseconds to wait before reconnect attempt `attempt` (0-based): 0.5 s doubling to 30 s, ±20 %. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
	const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 16));
	return Math.round(base * (0.8 + 0.4 * random()));
}
