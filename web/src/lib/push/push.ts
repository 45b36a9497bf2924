// Web Push: this browser's subscription to notifications for conversation messages that arrive
// while no Chatalot tab is connected. The server sends metadata only (which conversation), never
// message content; the service worker (src/service-worker.ts) shows the notification.
import { api, unwrap } from '$lib/api/client';
import { inDesktop } from '$lib/desktop/platform';

export type PushState = 'unsupported' | 'disabled-by-server' | 'denied' | 'off' | 'on';

/** The VAPID key in base64url as the server gives it, as the bytes pushManager wants. */
export function decodeBase64Url(value: string): Uint8Array<ArrayBuffer> {
	const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
	const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
	const binary = atob(padded);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}

/** Web Push needs a service worker: none in the desktop app, which notifies natively instead. */
function supported(): boolean {
	if (inDesktop()) return false;
	return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

async function serverKey(): Promise<string | null> {
	const answer = await unwrap(api.GET('/api/v1/push/vapid-public-key'));
	return answer.enabled ? (answer.public_key ?? null) : null;
}

/** Where notifications stand for this browser. */
export async function pushState(): Promise<PushState> {
	if (!supported()) return 'unsupported';
	if (!(await serverKey())) return 'disabled-by-server';
	if (Notification.permission === 'denied') return 'denied';
	const registration = await navigator.serviceWorker.getRegistration();
	const subscription = await registration?.pushManager.getSubscription();
	return subscription ? 'on' : 'off';
}

/** Asks for permission, subscribes this browser and registers the subscription with the server. */
export async function enablePush(): Promise<PushState> {
	if (!supported()) return 'unsupported';
	const key = await serverKey();
	if (!key) return 'disabled-by-server';
	if ((await Notification.requestPermission()) !== 'granted') return 'denied';
	const registration = await navigator.serviceWorker.ready;
	let subscription = await registration.pushManager.getSubscription();
	subscription ??= await registration.pushManager.subscribe({
		userVisibleOnly: true,
		applicationServerKey: decodeBase64Url(key)
	});
	const json = subscription.toJSON();
	await unwrap(
		api.POST('/api/v1/push/subscriptions', {
			body: {
				endpoint: subscription.endpoint,
				keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' }
			}
		})
	);
	return 'on';
}

/** Unsubscribes this browser, here and on the server. */
export async function disablePush(): Promise<PushState> {
	const registration = await navigator.serviceWorker.getRegistration();
	const subscription = await registration?.pushManager.getSubscription();
	if (subscription) {
		await unwrap(
			api.DELETE('/api/v1/push/subscriptions', { body: { endpoint: subscription.endpoint } })
		);
		await subscription.unsubscribe();
	}
	return 'off';
}
