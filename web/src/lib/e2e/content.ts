// What travels inside an encrypted conversation message (docs/e2e.md, "Conversations on the
// wire"): JSON `{"kind": ...}` chosen by the client. Parsing is strict: anything else is shown as
// an unreadable message rather than guessed at.

export interface TextContent {
	kind: 'text';
	text: string;
}

/** A sender's sender-key distribution, always sent over pairwise sessions; never displayed. */
export interface SenderKeyContent {
	kind: 'sender_key';
	distribution: string;
}

/** A file encrypted on the device; its name, type, key and digest exist only in here. */
export interface FileContent {
	kind: 'file';
	attachment_id: string;
	name: string;
	key: string;
	digest: string;
	/** The MIME type the sender's browser gave (images are shown inline). */
	type?: string;
	size?: number;
}

export type Content = TextContent | SenderKeyContent | FileContent;

/** The first byte of an envelope entry tells what decrypts it. */
export type EntryKind = 'pairwise' | 'prekey' | 'group' | 'unknown';

export function entryKind(ciphertext: Uint8Array): EntryKind {
	switch (ciphertext[0]) {
		case 0x01:
			return 'pairwise';
		case 0x81:
			return 'prekey';
		case 0x33:
			return 'group';
		default:
			return 'unknown';
	}
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeContent(content: Content): Uint8Array {
	return encoder.encode(JSON.stringify(content));
}

function isString(value: unknown): value is string {
	return typeof value === 'string';
}

/** The content of decrypted bytes, or null when they are not a content this client knows. */
export function decodeContent(bytes: Uint8Array): Content | null {
	let value: unknown;
	try {
		value = JSON.parse(decoder.decode(bytes));
	} catch {
		return null;
	}
	if (typeof value !== 'object' || value === null) return null;
	const record = value as Record<string, unknown>;
	switch (record.kind) {
		case 'text':
			return isString(record.text) ? { kind: 'text', text: record.text } : null;
		case 'sender_key':
			return isString(record.distribution)
				? { kind: 'sender_key', distribution: record.distribution }
				: null;
		case 'file': {
			const { attachment_id, name, key, digest, type, size } = record;
			if (!isString(attachment_id) || !isString(name) || !isString(key) || !isString(digest)) {
				return null;
			}
			const file: FileContent = { kind: 'file', attachment_id, name, key, digest };
			if (isString(type)) file.type = type;
			if (typeof size === 'number' && Number.isFinite(size)) file.size = size;
			return file;
		}
		default:
			return null;
	}
}

/** Whether a content is shown in the timeline (sender-key handovers are not). */
export function isVisible(content: Content | null): boolean {
	return content?.kind !== 'sender_key';
}

/** A one-line preview of a content, for lists and notifications. */
export function preview(content: Content | null): string {
	if (!content) return 'Encrypted message';
	if (content.kind === 'text') return content.text;
	if (content.kind === 'file') return `📎 ${content.name}`;
	return '';
}
