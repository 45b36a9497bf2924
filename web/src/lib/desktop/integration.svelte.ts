// The desktop app's part of the signed-in app: native notifications for live messages (by the
// rules of notify-rules.ts) and the tray / badge count kept equal to unreadTotal. Started once
// by the app shell, only in the desktop; a browser keeps Web Push and the tab as they are.
import type { Schemas } from '$lib/api/client';
import { communities } from '$lib/stores/communities.svelte';
import { conversations } from '$lib/stores/conversations.svelte';
import { me } from '$lib/stores/me.svelte';
import { members } from '$lib/stores/messages/members.svelte';
import { notificationLevels } from '$lib/stores/notification-levels/levels.svelte';
import { readStates } from '$lib/stores/read-states.svelte';
import { realtime } from '$lib/realtime/socket.svelte';
import { session } from '$lib/session/session.svelte';
import { people, conversationTitle } from '$lib/components/conversations/people.svelte';
import type { DecryptedMessage } from '$lib/e2e/engine';
import { notify, setUnread } from './bridge';
import { inDesktop } from './platform';
import {
	channelMentionsMe,
	notificationTitle,
	placeOfPath,
	shortBody,
	shouldNotify,
	textMentionsMe,
	type Attention
} from './notify-rules';
import { unreadTotal } from './unread-total';

let started = false;

function attention(): Attention {
	return {
		watching: document.visibilityState === 'visible' && document.hasFocus(),
		open: placeOfPath(location.pathname)
	};
}

function report(what: string) {
	return (err: unknown) => console.warn(`desktop: ${what} failed`, err);
}

async function conversationAuthor(userId: string): Promise<string> {
	return (await people.resolve(userId).catch(() => null))?.displayName ?? 'Someone';
}

/** Names in a community, as its channel shows them (the member list is loaded once per community). */
async function communityNames(communityId: string): Promise<(userId: string) => string> {
	const list = members.of(communityId);
	if (!list.loaded) await list.load();
	return (userId) => members.nameOf(communityId, userId);
}

/** Mentions written as `<@id>` / `<@&role>` read as names in the notification. */
function readableBody(message: Schemas['Message'], roles: Schemas['Role'][], nameOf: (userId: string) => string): string {
	const text = message.body
		.replace(/<@&([0-9a-fA-F-]{36})>/g, (_m, id: string) => `@${roles.find((r) => r.role_id === id)?.name ?? 'role'}`)
		.replace(/<@([0-9a-fA-F-]{36})>/g, (_m, id: string) => `@${nameOf(id)}`);
	if (text.trim()) return shortBody(text);
	const file = message.attachments[0];
	return file ? `📎 ${file.filename}` : '';
}

async function onChannelMessage(message: Schemas['Message']): Promise<void> {
	const myId = session.userId;
	const found = communities.findChannel(message.channel_id);
	if (!myId || !found || message.deleted) return;
	const incoming = {
		place: { kind: 'channel', id: message.channel_id } as const,
		authorId: message.author_id,
		mentionsMe: channelMentionsMe(message.mentions, { userId: myId, roleIds: found.view.me.role_ids })
	};
	if (!shouldNotify(incoming, myId, notificationLevels.of('channel', message.channel_id), attention())) return;
	const nameOf = await communityNames(message.community_id);
	await notify(
		notificationTitle(nameOf(message.author_id), `#${found.channel.channel.name} (${found.view.community.name})`),
		readableBody(message, found.view.roles, nameOf)
	);
}

async function onConversationMessage(message: DecryptedMessage): Promise<void> {
	const myId = session.userId;
	const conversation = conversations.get(message.conversationId);
	const content = message.content;
	// Sender-key handovers are not messages; what could not be decrypted says so without text.
	if (!myId || content?.kind === 'sender_key') return;
	const text = content?.kind === 'text' ? content.text : '';
	const incoming = {
		place: { kind: 'conversation', id: message.conversationId } as const,
		authorId: message.authorId,
		mentionsMe: textMentionsMe(text, { userId: myId, username: me.profile?.username ?? null })
	};
	if (!shouldNotify(incoming, myId, notificationLevels.of('conversation', message.conversationId), attention())) return;
	const author = await conversationAuthor(message.authorId);
	const place = conversation?.kind === 'group' ? conversationTitle(conversation, myId) : null;
	const body =
		content?.kind === 'text' ? shortBody(content.text)
		: content?.kind === 'file' ? `📎 ${content.name}`
		: 'An encrypted message that could not be decrypted';
	await notify(notificationTitle(author, place), body);
}

/** The tray count: follows the read states, conversation marks and levels as they change. */
function syncUnread(): void {
	let shown = -1;
	$effect.root(() => {
		$effect(() => {
			const total = session.current
				? unreadTotal(
						Object.values(readStates.byChannel),
						conversations.list.filter((c) => conversations.unread(c.conversation_id)).map((c) => c.conversation_id),
						(kind, id) => notificationLevels.of(kind, id)
					)
				: 0;
			if (total === shown) return;
			shown = total;
			setUnread(total).catch(report('set_unread'));
		});
	});
}

/** Starts notifications and the tray count (once; nothing in a browser). */
export function startDesktopIntegration(): void {
	if (started || !inDesktop()) return;
	started = true;
	realtime.on('message_created', ({ message }) => void onChannelMessage(message).catch(report('notify')));
	conversations.onMessage((message) => void onConversationMessage(message).catch(report('notify')));
	syncUnread();
}
