// The native commands of the desktop app (desktop/src), one typed function each. This is the
// whole contract between the web client and the native side; nothing else calls `invoke`.
import { invoke } from '@tauri-apps/api/core';

export interface DesktopInfo {
	version: string;
	/** Normalised by the native side (scheme and host, no path, no trailing slash). */
	server_url: string | null;
	start_minimised: boolean;
}

export function desktopInfo(): Promise<DesktopInfo> {
	return invoke<DesktopInfo>('desktop_info');
}

/** Validates, normalises and stores the server URL; rejects with a sentence when it is invalid. */
export function setServerUrl(url: string): Promise<void> {
	return invoke<void>('set_server_url', { url });
}

export function setStartMinimised(enabled: boolean): Promise<void> {
	return invoke<void>('set_start_minimised', { enabled });
}

/** This user's key for the end-to-end state at rest: base64 of 32 bytes from the OS keychain. */
export function storeKey(account: string): Promise<string> {
	return invoke<string>('store_key', { account });
}

export function notify(title: string, body: string): Promise<void> {
	return invoke<void>('notify', { title, body });
}

/** The tray indicator / badge (0 clears it). */
export function setUnread(count: number): Promise<void> {
	return invoke<void>('set_unread', { count });
}
