/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The service worker: caches the app shell (the built files and the static assets) per version,
// so the app opens offline; answers navigations with the cached shell when the network fails;
// shows Web Push notifications, which carry only metadata (never message content).
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `chatalot-shell-${version}`;
const SHELL = ['/', ...build, ...files];

sw.addEventListener('install', (event) => {
	event.waitUntil(
		caches
			.open(CACHE)
			.then((cache) => cache.addAll(SHELL))
			.then(() => sw.skipWaiting())
	);
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		caches
			.keys()
			.then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
			.then(() => sw.clients.claim())
	);
});

sw.addEventListener('fetch', (event) => {
	const request = event.request;
	if (request.method !== 'GET') return;
	const url = new URL(request.url);
	if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname === '/ws') {
		return; // the API and the live connection are never cached
	}
	if (request.mode === 'navigate') {
		// Any page of the app is the same shell; the network first, so an upgrade shows at once.
		event.respondWith(
			fetch(request).catch(async () => (await caches.match('/')) ?? Response.error())
		);
		return;
	}
	if (SHELL.includes(url.pathname)) {
		event.respondWith(
			caches.match(url.pathname).then((cached) => cached ?? fetch(request))
		);
	}
});

interface PushPayload {
	type?: string;
	conversation_id?: string;
}

sw.addEventListener('push', (event) => {
	let payload: PushPayload = {};
	try {
		payload = (event.data?.json() ?? {}) as PushPayload;
	} catch {
		payload = {};
	}
	const url = payload.conversation_id ? `/app/dm/${payload.conversation_id}` : '/app';
	event.waitUntil(
		sw.clients.matchAll({ type: 'window' }).then((windows) => {
			// A visible window already shows the message live.
			if (windows.some((w) => w.visibilityState === 'visible')) return;
			return sw.registration.showNotification('Chatalot', {
				body: 'You have a new encrypted message.',
				icon: '/icons/icon-192.png',
				tag: payload.conversation_id ?? 'chatalot',
				data: { url }
			});
		})
	);
});

sw.addEventListener('notificationclick', (event) => {
	event.notification.close();
	const url = (event.notification.data as { url?: string } | null)?.url ?? '/app';
	event.waitUntil(
		sw.clients.matchAll({ type: 'window' }).then((windows) => {
			const open = windows[0];
			if (open) return open.navigate(url).then((w) => w?.focus());
			return sw.clients.openWindow(url);
		})
	);
});
