// Files of encrypted conversations: encrypted on this device with a fresh key, uploaded as
// ciphertext (the server sees neither name, type nor content), and decrypted after download.
// The key and digest travel only inside the encrypted message.
import { api, unwrap } from '$lib/api/client';
import type { FileContent } from './content';
import { take, type CryptoApi } from './crypto-api';

/** Larger files are refused before encrypting (the whole file is held in memory). */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

export async function uploadEncrypted(crypto: CryptoApi, file: File): Promise<FileContent> {
	if (file.size > MAX_FILE_BYTES) throw new Error('Encrypted files can be at most 25 MiB.');
	const bytes = new Uint8Array(await file.arrayBuffer());
	const sealed = take(crypto.encryptAttachment(bytes), (f) => ({ blob: f.blob, key: f.key, digest: f.digest }));
	const attachment = await unwrap(
		api.POST('/api/v1/attachments', {
			// The real name stays inside the message; the server stores a neutral one.
			params: { query: { filename: 'encrypted.bin' } },
			body: sealed.blob as unknown as string,
			bodySerializer: (body: unknown) => body as BodyInit,
			headers: { 'content-type': 'application/octet-stream' }
		})
	);
	const content: FileContent = {
		kind: 'file',
		attachment_id: attachment.attachment_id,
		name: file.name || 'file',
		key: sealed.key,
		digest: sealed.digest,
		size: file.size
	};
	if (file.type) content.type = file.type;
	return content;
}

/** Downloads and decrypts a file; throws when the blob does not match its digest or MAC. */
export async function downloadDecrypted(crypto: CryptoApi, content: FileContent): Promise<Blob> {
	const buffer = await unwrap(
		api.GET('/api/v1/attachments/{attachment_id}', {
			params: { path: { attachment_id: content.attachment_id } },
			parseAs: 'arrayBuffer'
		})
	);
	const plain = crypto.decryptAttachment(new Uint8Array(buffer as ArrayBuffer), content.key, content.digest);
	return new Blob([plain as BlobPart], { type: content.type ?? 'application/octet-stream' });
}

/** Whether a file is shown inline as an image (only types a browser renders safely). */
export function isInlineImage(content: FileContent): boolean {
	return /^image\/(png|jpeg|gif|webp|avif)$/.test(content.type ?? '');
}
