// Who is in a call, in join order: a pure reducer over the join reply, the REST snapshot and the
// participant events (which may arrive out of order: an update before its join, a left twice).
import type { Participant } from './types';

export type RosterEvent =
	| { type: 'snapshot'; participants: Participant[] }
	| { type: 'joined'; participant: Participant }
	| { type: 'updated'; participant: Participant }
	| { type: 'left'; userId: string }
	| { type: 'clear' };

function byJoinTime(a: Participant, b: Participant): number {
	if (a.joined_at === b.joined_at) return a.user_id < b.user_id ? -1 : 1;
	return Date.parse(a.joined_at) - Date.parse(b.joined_at);
}

function upsert(roster: readonly Participant[], participant: Participant): Participant[] {
	const next = roster.filter((p) => p.user_id !== participant.user_id);
	next.push(participant);
	return next.sort(byJoinTime);
}

/** The roster after `event`; never mutates `roster`. */
export function reduceRoster(roster: readonly Participant[], event: RosterEvent): Participant[] {
	switch (event.type) {
		case 'snapshot':
			return [...event.participants].sort(byJoinTime);
		case 'joined':
		case 'updated':
			return upsert(roster, event.participant);
		case 'left':
			return roster.filter((p) => p.user_id !== event.userId);
		case 'clear':
			return [];
	}
}

/** Whether `userId` is in the roster. */
export function inRoster(roster: readonly Participant[], userId: string | null): boolean {
	return !!userId && roster.some((p) => p.user_id === userId);
}
