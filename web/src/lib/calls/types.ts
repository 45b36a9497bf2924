// The wire types of calls (generated from the server's OpenAPI document) under domain names.
import type { Schemas } from '$lib/api/client';

export type CallId = Schemas['CallId'];
export type Participant = Schemas['CallParticipant'];
export type CallState = Schemas['CallState'];
export type Signal = Schemas['Signal'];
export type LeaveReason = Schemas['CallLeaveReason'];
export type IceServer = Schemas['IceServer'];

/** `channel:<id>` or `conversation:<id>`, as the server keys calls. */
export function callKey(call: CallId): string {
	return `${call.kind}:${call.id}`;
}

export function sameCall(a: CallId | null | undefined, b: CallId | null | undefined): boolean {
	return !!a && !!b && a.kind === b.kind && a.id === b.id;
}
