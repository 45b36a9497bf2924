// Where the API and the WebSocket are. In a browser that is the page's own origin (the gateway
// served the client), so paths stay relative as they always were. In the desktop app the page
// comes from `tauri://localhost` and the server is the URL the user chose on /connect, stored by
// the native side. Every URL of the server is built here.
import { desktopInfo, type DesktopInfo } from './bridge';
import { inDesktop } from './platform';

class ServerAddress {
	/** The desktop's chosen server (null in a browser and before the first connect). */
	url = $state<string | null>(null);
	/** The native side's answer to `desktop_info` (null in a browser). */
	info = $state<DesktopInfo | null>(null);
	#loading: Promise<void> | null = null;

	/** Reads the stored server URL from the native side once (again with `force`). */
	load(force = false): Promise<void> {
		if (!inDesktop()) return Promise.resolve();
		if (force || !this.#loading) {
			this.#loading = desktopInfo().then((info) => {
				this.info = info;
				this.url = info.server_url;
			});
			this.#loading.catch(() => (this.#loading = null));
		}
		return this.#loading;
	}
}

export const server = new ServerAddress();

/** The URL of an API path (`/api/v1/...`): relative in a browser, on the chosen server in the desktop. */
export function apiUrl(path: string): string {
	return inDesktop() && server.url ? server.url + path : path;
}

/** The WebSocket URL (`/ws` of the server). */
export function socketUrl(): URL {
	const url = new URL('/ws', inDesktop() && server.url ? server.url : location.href);
	url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
	return url;
}

/** A link to give to other people (invites): on the server's web address, never tauri://localhost. */
export function publicUrl(path: string): string {
	return new URL(path, inDesktop() && server.url ? server.url : location.origin).href;
}
