// What the parts of an open channel share (set by ChannelMessages, read by its children).
import { getContext, setContext } from 'svelte';
import type { Permission } from '$lib/stores/communities.svelte';
import type { ChannelTimeline, Message } from '$lib/stores/messages/channel-timeline.svelte';

export interface ChannelContext {
	timeline: ChannelTimeline;
	communityId: string;
	channelId: string;
	myUserId: string | null;
	nameOf(userId: string): string;
	can(permission: Permission): boolean;
	/** Whether this channel takes new messages from the user at all (not archived, may send). */
	canSend(): boolean;
	reply(message: Message): void;
	openThread(message: Message): void;
	forward(message: Message): void;
	showEdits(message: Message): void;
	openImage(url: string, alt: string): void;
	/** Shows an error of an action in the channel's error line. */
	fail(err: unknown): void;
}

const KEY = Symbol('channel');

export function setChannelContext(context: ChannelContext): void {
	setContext(KEY, context);
}

export function channelContext(): ChannelContext {
	return getContext<ChannelContext>(KEY);
}

/** "14:05" today, "Mon 3 Feb 14:05" otherwise. */
export function formatTime(iso: string): string {
	const date = new Date(iso);
	const today = new Date().toDateString() === date.toDateString();
	return today
		? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
		: date.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}
