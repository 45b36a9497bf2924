// Pure helpers of the community settings: permission names for people, the three-way state of
// an overwrite, role colours and durations.
import type { Schemas } from '$lib/api/client';

export type Permission = Schemas['Permission'];
export type OverwriteState = 'allow' | 'inherit' | 'deny';

/** Every permission in the server's order, with what people read. */
export const PERMISSIONS: readonly { name: Permission; label: string }[] = [
	{ name: 'view_channel', label: 'View channels' },
	{ name: 'send_messages', label: 'Send messages' },
	{ name: 'manage_messages', label: 'Manage messages' },
	{ name: 'manage_channels', label: 'Manage channels' },
	{ name: 'manage_groups', label: 'Manage groups' },
	{ name: 'manage_roles', label: 'Manage roles' },
	{ name: 'manage_community', label: 'Manage community' },
	{ name: 'create_invites', label: 'Create invites' },
	{ name: 'kick_members', label: 'Kick members' },
	{ name: 'ban_members', label: 'Ban members' },
	{ name: 'timeout_members', label: 'Time out members' },
	{ name: 'mention_everyone', label: 'Mention everyone' },
	{ name: 'attach_files', label: 'Attach files' },
	{ name: 'add_reactions', label: 'Add reactions' },
	{ name: 'connect', label: 'Connect to voice' },
	{ name: 'speak', label: 'Speak' },
	{ name: 'video', label: 'Video and screen sharing' },
	{ name: 'view_audit_log', label: 'View audit log' },
	{ name: 'administrator', label: 'Administrator' }
];

export function permissionLabel(name: Permission): string {
	return PERMISSIONS.find((p) => p.name === name)?.label ?? name;
}

/** The state of each permission in an overwrite's allow and deny lists. */
export function overwriteStates(
	allow: readonly Permission[],
	deny: readonly Permission[]
): Record<Permission, OverwriteState> {
	const states = {} as Record<Permission, OverwriteState>;
	for (const { name } of PERMISSIONS) {
		states[name] = allow.includes(name) ? 'allow' : deny.includes(name) ? 'deny' : 'inherit';
	}
	return states;
}

/** The allow and deny lists of an overwrite from the state of each permission. */
export function overwriteLists(states: Partial<Record<Permission, OverwriteState>>): {
	allow: Permission[];
	deny: Permission[];
} {
	const allow: Permission[] = [];
	const deny: Permission[] = [];
	for (const { name } of PERMISSIONS) {
		if (states[name] === 'allow') allow.push(name);
		else if (states[name] === 'deny') deny.push(name);
	}
	return { allow, deny };
}

/** 0xRRGGBB as `#rrggbb` (what `<input type="color">` takes). */
export function colorToHex(color: number): string {
	return '#' + (color & 0xffffff).toString(16).padStart(6, '0');
}

/** `#rrggbb` as 0xRRGGBB; 0 for anything else. */
export function hexToColor(hex: string): number {
	const match = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
	return match?.[1] ? parseInt(match[1], 16) : 0;
}

/** Slow mode is off (0) or 5 to 600 seconds. */
export function validSlowMode(secs: number): boolean {
	return Number.isInteger(secs) && (secs === 0 || (secs >= 5 && secs <= 600));
}

/** Moves the item at `from` by `delta` places (clamped); a new array. */
export function moved<T>(items: readonly T[], from: number, delta: number): T[] {
	const to = Math.min(items.length - 1, Math.max(0, from + delta));
	const copy = [...items];
	const [item] = copy.splice(from, 1);
	if (item !== undefined) copy.splice(to, 0, item);
	return copy;
}

/** Durations offered for timeouts (the server allows up to 28 days). */
export const TIMEOUTS = [
	{ label: '60 seconds', secs: 60 },
	{ label: '5 minutes', secs: 300 },
	{ label: '1 hour', secs: 3600 },
	{ label: '1 day', secs: 86_400 },
	{ label: '1 week', secs: 604_800 },
	{ label: '28 days', secs: 2_419_200 }
] as const;

/** An ISO time `secs` after `now`. */
export function inSeconds(secs: number, now: number = Date.now()): string {
	return new Date(now + secs * 1000).toISOString();
}

/** A short local date and time for lists. */
export function formatTime(iso: string | null | undefined): string {
	if (!iso) return '—';
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
