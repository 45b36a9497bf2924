// Logging in, registering and logging out.
import { api, unwrap } from '$lib/api/client';
import { realtime } from '$lib/realtime/socket.svelte';
import { session } from './session.svelte';

/** A short name for this browser in the sessions list ("Firefox on Linux"). */
export function deviceName(userAgent: string = navigator.userAgent): string {
	const browser =
		/Edg\//.test(userAgent) ? 'Edge'
		: /Firefox\//.test(userAgent) ? 'Firefox'
		: /Chrom(e|ium)\//.test(userAgent) ? 'Chrome'
		: /Safari\//.test(userAgent) ? 'Safari'
		: 'Browser';
	const os =
		/Android/.test(userAgent) ? 'Android'
		: /iPhone|iPad/.test(userAgent) ? 'iOS'
		: /Windows/.test(userAgent) ? 'Windows'
		: /Mac OS X/.test(userAgent) ? 'macOS'
		: /Linux/.test(userAgent) ? 'Linux'
		: 'an unknown system';
	return `${browser} on ${os}`;
}

export async function login(username: string, password: string): Promise<void> {
	const tokens = await unwrap(
		api.POST('/api/v1/auth/login', {
			body: { username, password, device_name: deviceName() }
		})
	);
	session.begin(tokens);
}

export async function register(input: {
	username: string;
	password: string;
	displayName?: string;
	email?: string;
	inviteCode?: string;
}): Promise<void> {
	const tokens = await unwrap(
		api.POST('/api/v1/auth/register', {
			body: {
				username: input.username,
				password: input.password,
				display_name: input.displayName || null,
				email: input.email || null,
				invite_code: input.inviteCode || null,
				device_name: deviceName()
			}
		})
	);
	session.begin(tokens);
}

/** Revokes this session on the server (best effort) and forgets it here. */
export async function logout(): Promise<void> {
	realtime.stop();
	try {
		await api.POST('/api/v1/auth/logout', {});
	} finally {
		session.end();
	}
}
