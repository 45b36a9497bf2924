// Starts the signed-in app once: the stores subscribe to the live connection, then it connects.
import { realtime } from '$lib/realtime/socket.svelte';
import { communities } from '$lib/stores/communities.svelte';
import { me } from '$lib/stores/me.svelte';
import { presences } from '$lib/stores/presence.svelte';
import { readStates } from '$lib/stores/read-states.svelte';

let started = false;
const startHooks: (() => void)[] = [];

/** Registers a feature's start-up (its store subscriptions); runs before the first connect. */
export function onAppStart(hook: () => void): void {
	if (started) hook();
	else startHooks.push(hook);
}

export function startApp(): void {
	if (!started) {
		started = true;
		communities.listen();
		me.listen();
		readStates.listen();
		presences.listen();
		for (const hook of startHooks) hook();
	}
	realtime.start();
}
