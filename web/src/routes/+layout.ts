// A single-page app: nothing is rendered on a server or prerendered.
import { redirect } from '@sveltejs/kit';
import { inDesktop } from '$lib/desktop/platform';
import { server } from '$lib/desktop/server.svelte';

export const ssr = false;
export const prerender = false;

// In the desktop app the server is not the page's origin: read the chosen one before any page
// talks to it, and send every route to /connect until there is one.
export async function load({ url }) {
	if (!inDesktop()) return {};
	await server.load();
	if (!server.url && url.pathname !== '/connect') redirect(307, '/connect');
	return {};
}
