// Idle detection for presence: after five minutes without input the user shows as idle.
import { realtime } from '$lib/realtime/socket.svelte';

const IDLE_AFTER_MS = 5 * 60_000;

export function watchActivity(): () => void {
	let idle = false;
	let timer: ReturnType<typeof setTimeout>;
	const becomeIdle = () => {
		idle = true;
		realtime.activity(true);
	};
	const active = () => {
		clearTimeout(timer);
		timer = setTimeout(becomeIdle, IDLE_AFTER_MS);
		if (idle) {
			idle = false;
			realtime.activity(false);
		}
	};
	const events = ['pointerdown', 'keydown', 'visibilitychange'] as const;
	for (const name of events) window.addEventListener(name, active, { passive: true });
	active();
	return () => {
		clearTimeout(timer);
		for (const name of events) window.removeEventListener(name, active);
	};
}
