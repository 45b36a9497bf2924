import { describe, expect, it } from 'vitest';
import { fromTokens, loadSession, saveSession, tokenState, type KeyValueStore } from './tokens';

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
	const data = new Map<string, string>();
	return {
		data,
		getItem: (k) => data.get(k) ?? null,
		setItem: (k, v) => void data.set(k, v),
		removeItem: (k) => void data.delete(k)
	};
}

const tokens = {
	user: { user_id: 'u1' },
	session_id: 's1',
	access_token: 'a',
	access_token_expires_at: '2026-01-01T00:10:00Z',
	refresh_token: 'r',
	refresh_token_expires_at: '2026-02-01T00:00:00Z'
};

describe('session tokens', () => {
	it('round-trips through storage and forgets on logout', () => {
		const store = memoryStore();
		const session = fromTokens(tokens);
		saveSession(store, session);
		expect(loadSession(store)).toEqual(session);
		saveSession(store, null);
		expect(loadSession(store)).toBeNull();
	});

	it('ignores corrupt or incomplete storage', () => {
		const store = memoryStore();
		store.setItem('chatalot.session', '{not json');
		expect(loadSession(store)).toBeNull();
		store.setItem('chatalot.session', JSON.stringify({ userId: 'u1' }));
		expect(loadSession(store)).toBeNull();
	});

	it('asks for a refresh shortly before the access token expires', () => {
		const session = fromTokens(tokens);
		const expiry = Date.parse('2026-01-01T00:10:00Z');
		expect(tokenState(session, expiry - 60_000)).toBe('fresh');
		expect(tokenState(session, expiry - 10_000)).toBe('refresh');
		expect(tokenState(session, expiry + 60_000)).toBe('refresh');
		expect(tokenState(session, Date.parse('2026-02-01T00:00:01Z'))).toBe('expired');
	});
});
