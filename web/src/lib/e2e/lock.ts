// Runs crypto state changes one at a time: in this tab (a promise chain) and across the tabs of
// the same user (Web Locks), because ratchet states live in IndexedDB and each key is single-use.

let chain: Promise<unknown> = Promise.resolve();

export function exclusive<T>(name: string, run: () => Promise<T>): Promise<T> {
	const locked = (): Promise<T> =>
		typeof navigator !== 'undefined' && 'locks' in navigator
			? (navigator.locks.request(name, run) as Promise<T>)
			: run();
	const next = chain.then(locked, locked);
	chain = next.catch(() => undefined);
	return next;
}
