/** The expiries offered for community and instance invites (the server allows 1 hour to 1 year;
 *  0 means the invite never expires). */
export const INVITE_EXPIRIES = [
	{ label: '1 hour', secs: 3600 },
	{ label: '1 day', secs: 86_400 },
	{ label: '7 days', secs: 604_800 },
	{ label: '30 days', secs: 2_592_000 },
	{ label: '1 year', secs: 31_536_000 },
	{ label: 'Never', secs: 0 }
] as const;
