// Whether this client runs inside the Chatalot desktop app (a Tauri webview loading the bundled
// build from `tauri://localhost`) rather than in a browser tab served by a gateway. Everything
// desktop-only asks here, so a browser never takes a desktop path.
import { isTauri } from '@tauri-apps/api/core';

export function inDesktop(): boolean {
	return typeof window !== 'undefined' && isTauri();
}
