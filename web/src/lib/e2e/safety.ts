// Presentation of safety numbers: 60 digits shown as 12 groups of 5, as Signal does.

export function formatSafetyNumber(digits: string): string[] {
	const groups: string[] = [];
	for (let i = 0; i < digits.length; i += 5) groups.push(digits.slice(i, i + 5));
	return groups;
}

/** The contact name trust is kept under: one identity per device of a user. */
export function trustContact(userId: string, deviceId: string): string {
	return `${userId}/${deviceId}`;
}

/** Device ids that appeared since `known` (null: this contact was never seen, nothing is new). */
export function newDevices(known: readonly string[] | null, current: readonly string[]): string[] {
	if (known === null) return [];
	const seen = new Set(known);
	return current.filter((id) => !seen.has(id));
}
