// The deterministic rules of the mesh, so two browsers never disagree:
// - who opens a connection: the participant who joined later offers to everyone already there
//   (ties broken by user id); the other side waits for that offer;
// - who yields in a glare (both offering at once, e.g. both turning a camera on): the "polite"
//   peer of perfect negotiation, the one with the larger user id;
// - a fresh offer from a new RTCPeerConnection of the same user (they joined again, after a
//   reconnect) is told apart by the SDP session id of its `o=` line.
import type { Participant } from './types';

type Joined = Pick<Participant, 'user_id' | 'joined_at'>;

/** The user id of the one of `a` and `b` who offers first. */
export function initiatorOf(a: Joined, b: Joined): string {
	const at = Date.parse(a.joined_at);
	const bt = Date.parse(b.joined_at);
	if (at !== bt) return at > bt ? a.user_id : b.user_id;
	return a.user_id > b.user_id ? a.user_id : b.user_id;
}

/** Whether `me` yields to `other` when both send offers at once. */
export function isPolite(me: string, other: string): boolean {
	return me > other;
}

/** The session id of an SDP (`o=<user> <session id> <version> ...`), or null. */
export function sdpSessionId(sdp: string): string | null {
	const line = sdp.split(/\r?\n/).find((l) => l.startsWith('o='));
	const fields = line?.slice(2).trim().split(/\s+/);
	return fields?.[1] ?? null;
}

/** Whether an offer comes from another RTCPeerConnection than the one we were talking to. */
export function isNewRemoteSession(known: string | null, offerSdp: string): boolean {
	const incoming = sdpSessionId(offerSdp);
	return known !== null && incoming !== null && incoming !== known;
}
