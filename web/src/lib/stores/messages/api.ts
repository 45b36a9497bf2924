// The REST calls of a text channel's messages (docs/channel-messages.md); each throws an
// ApiFailure with the server's error code.
import { api, unwrap } from '$lib/api/client';
import { newNonce, type Message } from './timeline';

export interface Draft {
	body: string;
	attachmentIds?: string[];
	replyTo?: string | null;
	threadRootId?: string | null;
}

type Ids = { channel_id: string; message_id: string };

export async function fetchPage(channelId: string, query: { before?: string; limit: number }): Promise<Message[]> {
	const list = await unwrap(
		api.GET('/api/v1/channels/{channel_id}/messages', { params: { path: { channel_id: channelId }, query } })
	);
	return list.messages;
}

export async function fetchThread(channelId: string, rootId: string): Promise<Message[]> {
	const list = await unwrap(
		api.GET('/api/v1/channels/{channel_id}/threads/{root_id}/messages', {
			params: { path: { channel_id: channelId, root_id: rootId }, query: { limit: 100 } }
		})
	);
	return list.messages;
}

export function sendMessage(channelId: string, draft: Draft): Promise<Message> {
	return unwrap(
		api.POST('/api/v1/channels/{channel_id}/messages', {
			params: { path: { channel_id: channelId } },
			body: {
				nonce: newNonce(),
				body: draft.body,
				attachment_ids: draft.attachmentIds?.length ? draft.attachmentIds : undefined,
				reply_to: draft.replyTo ?? null,
				thread_root_id: draft.threadRootId ?? null
			}
		})
	);
}

export function editMessage(path: Ids, body: string): Promise<Message> {
	return unwrap(api.PATCH('/api/v1/channels/{channel_id}/messages/{message_id}', { params: { path }, body: { body } }));
}

export async function deleteMessage(path: Ids): Promise<void> {
	await unwrap(api.DELETE('/api/v1/channels/{channel_id}/messages/{message_id}', { params: { path } }));
}

export async function setReaction(path: Ids & { emoji: string }, on: boolean): Promise<void> {
	const url = '/api/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}' as const;
	await unwrap(on ? api.PUT(url, { params: { path } }) : api.DELETE(url, { params: { path } }));
}

export async function setPin(path: Ids, pinned: boolean): Promise<void> {
	const url = '/api/v1/channels/{channel_id}/pins/{message_id}' as const;
	await unwrap(pinned ? api.PUT(url, { params: { path } }) : api.DELETE(url, { params: { path } }));
}

export async function startTyping(channelId: string): Promise<void> {
	await unwrap(api.POST('/api/v1/channels/{channel_id}/typing', { params: { path: { channel_id: channelId } } }));
}

export function markRead(channelId: string, messageId: string) {
	return unwrap(
		api.PUT('/api/v1/channels/{channel_id}/read', {
			params: { path: { channel_id: channelId } },
			body: { message_id: messageId }
		})
	);
}
