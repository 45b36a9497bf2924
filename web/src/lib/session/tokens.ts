// Where the session's tokens live (localStorage, shared by the tabs of this origin) and when the
// access token needs a refresh. Pure logic, unit-tested in tokens.test.ts.

export interface StoredSession {
	userId: string;
	sessionId: string;
	accessToken: string;
	/** Milliseconds since the epoch. */
	accessExpiresAt: number;
	refreshToken: string;
	refreshExpiresAt: number;
}

const KEY = 'chatalot.session';
/** Refresh this long before the access token expires, so no request races its expiry. */
export const REFRESH_MARGIN_MS = 30_000;

export interface KeyValueStore {
	getItem(key: string): string | null;
	setItem(key: string, value: string): void;
	removeItem(key: string): void;
}

export function loadSession(store: KeyValueStore): StoredSession | null {
	const raw = store.getItem(KEY);
	if (!raw) return null;
	try {
		const value = JSON.parse(raw) as Partial<StoredSession>;
		if (
			typeof value.userId !== 'string' ||
			typeof value.sessionId !== 'string' ||
			typeof value.accessToken !== 'string' ||
			typeof value.refreshToken !== 'string' ||
			typeof value.accessExpiresAt !== 'number' ||
			typeof value.refreshExpiresAt !== 'number'
		) {
			return null;
		}
		return value as StoredSession;
	} catch {
		return null;
	}
}

export function saveSession(store: KeyValueStore, value: StoredSession | null): void {
	if (value) store.setItem(KEY, JSON.stringify(value));
	else store.removeItem(KEY);
}

/** What the server's SessionTokens answer becomes in storage. */
export function fromTokens(tokens: {
	user: { user_id: string };
	session_id: string;
	access_token: string;
	access_token_expires_at: string;
	refresh_token: string;
	refresh_token_expires_at: string;
}): StoredSession {
	return {
		userId: tokens.user.user_id,
		sessionId: tokens.session_id,
		accessToken: tokens.access_token,
		accessExpiresAt: Date.parse(tokens.access_token_expires_at),
		refreshToken: tokens.refresh_token,
		refreshExpiresAt: Date.parse(tokens.refresh_token_expires_at)
	};
}

export type TokenState = 'fresh' | 'refresh' | 'expired';

/** Whether the access token can be used as it is, needs a refresh, or the session is over. */
export function tokenState(value: StoredSession, now: number): TokenState {
	if (value.refreshExpiresAt <= now) return 'expired';
	if (value.accessExpiresAt - REFRESH_MARGIN_MS <= now) return 'refresh';
	return 'fresh';
}
