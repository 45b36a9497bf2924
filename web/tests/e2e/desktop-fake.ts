// A stand-in for the desktop app's native side, so the desktop paths of the web client run in
// Playwright's Chromium: `window.isTauri` and `__TAURI_INTERNALS__.invoke` (what
// @tauri-apps/api/core calls) answer the six commands of the contract (docs/web.md), keep their
// state in the page's localStorage (it survives reloads, like the native store) and record every
// call for the test to read. The real app is tested by the desktop's own WebDriver test.
import type { BrowserContext, Page } from '@playwright/test';

export interface DesktopCall {
	cmd: string;
	args: Record<string, unknown>;
}

/** Makes every page of `context` look like the desktop app, with `serverUrl` stored (or none). */
export async function fakeDesktop(context: BrowserContext, serverUrl: string | null): Promise<void> {
	await context.addInitScript((initial: string | null) => {
		const KEY = 'test.fake-desktop';
		type State = { server_url: string | null; start_minimised: boolean; keys: Record<string, string>; calls: unknown[] };
		let storage: Storage;
		try {
			storage = window.localStorage;
		} catch {
			return; // about:blank and the like
		}
		const load = (): State =>
			(JSON.parse(storage.getItem(KEY) ?? 'null') as State | null) ?? {
				server_url: initial,
				start_minimised: false,
				keys: {},
				calls: []
			};
		const save = (s: State) => storage.setItem(KEY, JSON.stringify(s));
		const randomKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
		const w = window as unknown as Record<string, unknown>;
		w.isTauri = true;
		w.__TAURI_INTERNALS__ = {
			transformCallback: () => 0,
			unregisterCallback: () => undefined,
			invoke: async (cmd: string, args: Record<string, unknown> = {}) => {
				const s = load();
				s.calls.push({ cmd, args });
				save(s);
				switch (cmd) {
					case 'desktop_info':
						return { version: '0.0.0-test', server_url: s.server_url, start_minimised: s.start_minimised };
					case 'set_server_url': {
						let url: URL;
						try {
							url = new URL(String(args.url));
						} catch {
							throw 'invalid server URL';
						}
						if (!/^https?:$/.test(url.protocol) || !url.hostname) throw 'invalid server URL';
						s.server_url = url.origin;
						save(s);
						return null;
					}
					case 'set_start_minimised':
						s.start_minimised = Boolean(args.enabled);
						save(s);
						return null;
					case 'store_key': {
						const account = String(args.account);
						s.keys[account] ??= randomKey();
						save(s);
						return s.keys[account];
					}
					case 'notify':
					case 'set_unread':
						return null;
					default:
						throw `unknown command ${cmd}`;
				}
			}
		};
	}, serverUrl);
}

/** The native commands the page called so far (optionally only one command's). */
export async function desktopCalls(page: Page, cmd?: string): Promise<DesktopCall[]> {
	const calls = await page.evaluate(
		() => (JSON.parse(localStorage.getItem('test.fake-desktop') ?? '{"calls":[]}') as { calls: DesktopCall[] }).calls
	);
	return cmd ? calls.filter((c) => c.cmd === cmd) : calls;
}
