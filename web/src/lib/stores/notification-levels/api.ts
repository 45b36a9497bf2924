// The notification-level endpoints, typed by hand from the contract of the `levels` server branch
// until it is merged and they are in the generated schema (then this file goes and `api` is used).
import { interimClient, unwrap } from '$lib/api/client';

export type NotificationLevel = 'all' | 'mentions' | 'none';
export type LevelTargetKind = 'channel' | 'conversation';

export interface NotificationLevels {
	channels: Record<string, NotificationLevel>;
	conversations: Record<string, NotificationLevel>;
	defaults: { channel: NotificationLevel; conversation: NotificationLevel };
}

/** The gateway event when a level changed on another device (`level` null: back to default). */
export interface NotificationLevelUpdated {
	target: { kind: LevelTargetKind; id: string };
	level: NotificationLevel | null;
}

type LevelBody = { content: { 'application/json': { level: NotificationLevel } } };
interface Paths {
	'/api/v1/users/@me/notification-levels': {
		get: { responses: { 200: { content: { 'application/json': NotificationLevels } } } };
	};
	'/api/v1/channels/{channel_id}/notification-level': {
		put: {
			parameters: { path: { channel_id: string } };
			requestBody: LevelBody;
			responses: { 200: LevelBody };
		};
		delete: { parameters: { path: { channel_id: string } }; responses: { 204: { content?: never } } };
	};
	'/api/v1/conversations/{conversation_id}/notification-level': {
		put: {
			parameters: { path: { conversation_id: string } };
			requestBody: LevelBody;
			responses: { 200: LevelBody };
		};
		delete: { parameters: { path: { conversation_id: string } }; responses: { 204: { content?: never } } };
	};
}

const client = interimClient<Paths>();

export function fetchLevels(): Promise<NotificationLevels> {
	return unwrap(client.GET('/api/v1/users/@me/notification-levels'));
}

/** Sets a level (null: back to the default). */
export async function putLevel(kind: LevelTargetKind, id: string, level: NotificationLevel | null): Promise<void> {
	if (kind === 'channel') {
		const params = { path: { channel_id: id } };
		if (level) await unwrap(client.PUT('/api/v1/channels/{channel_id}/notification-level', { params, body: { level } }));
		else await unwrap(client.DELETE('/api/v1/channels/{channel_id}/notification-level', { params }));
	} else {
		const params = { path: { conversation_id: id } };
		if (level) await unwrap(client.PUT('/api/v1/conversations/{conversation_id}/notification-level', { params, body: { level } }));
		else await unwrap(client.DELETE('/api/v1/conversations/{conversation_id}/notification-level', { params }));
	}
}
