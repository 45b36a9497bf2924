// Choosing the desktop app's server (/connect): check the address, leave the current server
// (its session is revoked there first, while the old address is still the one in use), then
// store the new one. The app reloads afterwards so no state of the old server survives.
import { logout } from '$lib/session/auth';
import { session } from '$lib/session/session.svelte';
import { setServerUrl } from './bridge';
import { checkServer, type ServerCheck } from './connect';
import { server } from './server.svelte';

/** Checks `input` and, when it is a Chatalot server, makes it the app's server. */
export async function changeServer(input: string): Promise<ServerCheck> {
	const check = await checkServer(input);
	if (!check.ok) return check;
	if (session.current) {
		try {
			await logout();
		} catch {
			// The old server may be gone; forgetting the session here is what matters.
		}
	}
	await setServerUrl(check.url);
	await server.load(true);
	return check;
}
