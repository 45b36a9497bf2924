// The notification-level endpoints (message-svc; docs/channel-messages.md): the user's choices
// with the defaults, and one target's level set or reset to the default.
import { api, unwrap, type Schemas } from '$lib/api/client';

export type NotificationLevel = Schemas['NotificationLevel'];
export type LevelTargetKind = Schemas['NotificationTargetKind'];
export type NotificationLevels = Schemas['NotificationLevels'];

export function fetchLevels(): Promise<NotificationLevels> {
	return unwrap(api.GET('/api/v1/users/@me/notification-levels'));
}

/** Sets a level (null: back to the default). */
export async function putLevel(kind: LevelTargetKind, id: string, level: NotificationLevel | null): Promise<void> {
	if (kind === 'channel') {
		const params = { path: { channel_id: id } };
		if (level) await unwrap(api.PUT('/api/v1/channels/{channel_id}/notification-level', { params, body: { level } }));
		else await unwrap(api.DELETE('/api/v1/channels/{channel_id}/notification-level', { params }));
	} else {
		const params = { path: { conversation_id: id } };
		if (level) await unwrap(api.PUT('/api/v1/conversations/{conversation_id}/notification-level', { params, body: { level } }));
		else await unwrap(api.DELETE('/api/v1/conversations/{conversation_id}/notification-level', { params }));
	}
}
