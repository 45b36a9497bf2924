// Who is typing in a channel (from `typing_started`, each valid until its `expires_at`), and when
// this user should tell the server they are typing again. Pure logic, tested in typing.test.ts.

export class TypingSet {
	#until = new Map<string, number>();

	/** Records that `userId` types until `expiresAt` (milliseconds). */
	start(userId: string, expiresAt: number): void {
		this.#until.set(userId, expiresAt);
	}

	/** The user stopped (their message arrived). */
	stop(userId: string): void {
		this.#until.delete(userId);
	}

	/** Those still typing at `now`, except `exceptUserId`, in the order they started. */
	active(now: number, exceptUserId: string | null): string[] {
		const out: string[] = [];
		for (const [user, until] of this.#until) {
			if (until <= now) this.#until.delete(user);
			else if (user !== exceptUserId) out.push(user);
		}
		return out;
	}
}

/** "Alice is typing…", "Alice and Bob are typing…", "Several people are typing…". */
export function typingSentence(names: string[]): string {
	if (names.length === 0) return '';
	if (names.length === 1) return `${names[0]} is typing…`;
	if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
	if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
	return 'Several people are typing…';
}

/** Sends "typing" at most once per `intervalMs` while the user keeps typing. */
export class TypingThrottle {
	#last = -Infinity;
	constructor(readonly intervalMs = 4000) {}

	/** Whether to notify now (and remembers that it did). */
	shouldSend(now: number): boolean {
		if (now - this.#last < this.intervalMs) return false;
		this.#last = now;
		return true;
	}

	/** After sending a message, the next keystroke announces typing again. */
	reset(): void {
		this.#last = -Infinity;
	}
}
