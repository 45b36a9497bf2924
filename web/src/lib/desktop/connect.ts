// Checking a server address before the desktop app stores it (/connect). A Chatalot server is
// recognised by `GET /api/v1/instance` answering 200 with JSON holding a string
// `registration_mode`. A page cannot tell a server that is down from one that refuses this
// origin (CORS) or a certificate it does not trust: all of them are the same failed fetch, so the
// message says so instead of guessing.

export type ServerCheck =
	| { ok: true; url: string }
	| { ok: false; reason: 'invalid' | 'unreachable' | 'not_chatalot'; message: string };

/** The origin of what the user typed ("chat.example.com" means https), or null when it is no URL. */
export function normaliseServerUrl(input: string): string | null {
	const text = input.trim();
	if (!text) return null;
	const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
	let url: URL;
	try {
		url = new URL(withScheme);
	} catch {
		return null;
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
	if (!url.hostname || url.username || url.password) return null;
	return url.origin;
}

/** Whether the server at `input` answers as a Chatalot server. */
export async function checkServer(input: string, fetchImpl: typeof fetch = fetch): Promise<ServerCheck> {
	const url = normaliseServerUrl(input);
	if (!url) {
		return {
			ok: false,
			reason: 'invalid',
			message: 'That is not a server address. Enter one like https://chat.example.com.'
		};
	}
	let response: Response;
	try {
		response = await fetchImpl(`${url}/api/v1/instance`, {
			headers: { accept: 'application/json' },
			credentials: 'omit',
			signal: AbortSignal.timeout(15_000)
		});
	} catch {
		return {
			ok: false,
			reason: 'unreachable',
			message:
				`${url} cannot be reached. Check the address and your connection; the server may also be ` +
				'down, use a certificate this computer does not trust, or not allow the desktop app.'
		};
	}
	const notChatalot = {
		ok: false,
		reason: 'not_chatalot',
		message: `${url} answered, but it is not a Chatalot server.`
	} as const;
	if (response.status !== 200) return notChatalot;
	let body: unknown;
	try {
		body = await response.json();
	} catch {
		return notChatalot;
	}
	if (typeof body !== 'object' || body === null) return notChatalot;
	if (typeof (body as Record<string, unknown>).registration_mode !== 'string') return notChatalot;
	return { ok: true, url };
}
