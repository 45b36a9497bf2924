// The signed-in session: its tokens (kept in localStorage, so every tab shares them) and the
// rotation of the refresh token. One refresh runs at a time across tabs (Web Locks); a tab that
// finds the token already rotated by another uses the new one instead of replaying the old one.
import { browser } from '$app/environment';
import { apiUrl } from '$lib/desktop/server.svelte';
import {
	fromTokens,
	loadSession,
	saveSession,
	tokenState,
	type StoredSession
} from './tokens';

type Tokens = Parameters<typeof fromTokens>[0];

class Session {
	current = $state<StoredSession | null>(null);
	#refreshing: Promise<string | null> | null = null;

	constructor() {
		if (!browser) return;
		this.current = loadSession(localStorage);
		window.addEventListener('storage', (event) => {
			if (event.key === 'chatalot.session') this.current = loadSession(localStorage);
		});
	}

	get userId(): string | null {
		return this.current?.userId ?? null;
	}

	/** Stores the tokens of a login, registration or refresh. */
	begin(tokens: Tokens): void {
		this.current = fromTokens(tokens);
		saveSession(localStorage, this.current);
	}

	/** Forgets the session locally (the server side is revoked by `logout`). */
	end(): void {
		this.current = null;
		if (browser) saveSession(localStorage, null);
	}

	/** A usable access token, refreshing it first when it is about to expire. */
	async accessToken(): Promise<string | null> {
		const current = this.current;
		if (!current) return null;
		switch (tokenState(current, Date.now())) {
			case 'fresh':
				return current.accessToken;
			case 'refresh':
				return this.#refresh(current.accessToken);
			case 'expired':
				this.end();
				return null;
		}
	}

	/** After the server refused `rejected`: a fresh token, or null when the session is over. */
	refreshAfterRejection(rejected: string): Promise<string | null> {
		return this.#refresh(rejected);
	}

	#refresh(stale: string): Promise<string | null> {
		this.#refreshing ??= this.#refreshOnce(stale).finally(() => (this.#refreshing = null));
		return this.#refreshing;
	}

	async #refreshOnce(stale: string): Promise<string | null> {
		const run = () => this.#rotate(stale);
		if ('locks' in navigator) return navigator.locks.request('chatalot-refresh', run);
		return run();
	}

	async #rotate(stale: string): Promise<string | null> {
		// Another tab may have rotated the tokens while this one waited for the lock.
		const stored = loadSession(localStorage);
		if (!stored) {
			this.current = null;
			return null;
		}
		if (stored.accessToken !== stale && tokenState(stored, Date.now()) === 'fresh') {
			this.current = stored;
			return stored.accessToken;
		}
		let response: Response;
		try {
			response = await fetch(apiUrl('/api/v1/auth/refresh'), {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ refresh_token: stored.refreshToken })
			});
		} catch {
			return null; // offline: keep the session, the caller fails this once
		}
		if (response.status === 401 || response.status === 403) {
			this.end();
			return null;
		}
		if (!response.ok) return null;
		this.begin((await response.json()) as Tokens);
		return this.current?.accessToken ?? null;
	}
}

export const session = new Session();
