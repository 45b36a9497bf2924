// Attachments: uploading a file with progress, and showing uploaded files.
//
// Interface (shared with conversations):
//   uploadFile(file: File | Blob, onProgress?: (fraction: number) => void, options?: { filename?: string; signal?: AbortSignal })
//     : Promise<Attachment>
//     POSTs the raw bytes to /api/v1/attachments?filename=<name> with XMLHttpRequest (fetch cannot
//     report upload progress), with the session's access token (refreshed and retried once on
//     401). `onProgress` receives 0..1 as bytes go out. Rejects with an ApiFailure carrying the
//     server's error code (413 payload_too_large, ...) or `aborted` when `signal` aborts.
//     Link the returned `attachment_id` to a message (`attachment_ids`) soon: unlinked uploads
//     are swept after `attachments.orphan_grace_secs`.
//   attachmentObjectUrl(attachmentId: string): Promise<string>
//     Downloads an attachment (downloads need the Authorization header, so <img src> cannot
//     point at the API) and answers a blob: URL, cached per id for the page's lifetime.
//   attachmentKind(contentType): 'image' | 'video' | 'audio' | 'file' — how to show it inline.
import { ApiFailure, type Schemas } from '$lib/api/client';
import { session } from '$lib/session/session.svelte';
import { apiUrl } from '$lib/desktop/server.svelte';

export type Attachment = Schemas['Attachment'];

function send(
	file: Blob,
	filename: string,
	token: string | null,
	onProgress: ((fraction: number) => void) | undefined,
	signal: AbortSignal | undefined
): Promise<{ status: number; body: unknown }> {
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open('POST', apiUrl(`/api/v1/attachments?filename=${encodeURIComponent(filename)}`));
		if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
		xhr.setRequestHeader('content-type', 'application/octet-stream');
		xhr.upload.onprogress = (event) => {
			if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
		};
		xhr.onload = () => {
			let body: unknown = null;
			try {
				body = JSON.parse(xhr.responseText);
			} catch {
				body = null;
			}
			resolve({ status: xhr.status, body });
		};
		xhr.onerror = () =>
			reject(new ApiFailure(0, 'network_error', 'The upload failed: the server cannot be reached.'));
		xhr.onabort = () => reject(new ApiFailure(0, 'aborted', 'The upload was cancelled.'));
		if (signal) {
			if (signal.aborted) return xhr.abort();
			signal.addEventListener('abort', () => xhr.abort(), { once: true });
		}
		xhr.send(file);
	});
}

/** Uploads one file; see the interface at the top of this file. */
export async function uploadFile(
	file: File | Blob,
	onProgress?: (fraction: number) => void,
	options: { filename?: string; signal?: AbortSignal } = {}
): Promise<Attachment> {
	const filename = options.filename ?? (file instanceof File ? file.name : 'file');
	const token = await session.accessToken();
	let result = await send(file, filename, token, onProgress, options.signal);
	if (result.status === 401 && token) {
		const fresh = await session.refreshAfterRejection(token);
		if (fresh) result = await send(file, filename, fresh, onProgress, options.signal);
	}
	if (result.status === 201) {
		onProgress?.(1);
		return result.body as Attachment;
	}
	const error = result.body as Partial<Schemas['ApiError']> | null;
	throw new ApiFailure(
		result.status,
		error?.code ?? `http_${result.status}`,
		error?.message ?? (result.status === 413 ? 'The file is too large.' : `The upload failed (${result.status}).`)
	);
}

const objectUrls = new Map<string, Promise<string>>();

/** A blob: URL of an attachment's bytes (fetched with the access token, cached per id). */
export function attachmentObjectUrl(attachmentId: string): Promise<string> {
	let url = objectUrls.get(attachmentId);
	if (!url) {
		url = download(attachmentId);
		objectUrls.set(attachmentId, url);
		url.catch(() => objectUrls.delete(attachmentId));
	}
	return url;
}

async function download(attachmentId: string): Promise<string> {
	const path = apiUrl(`/api/v1/attachments/${encodeURIComponent(attachmentId)}`);
	const get = async (token: string | null) =>
		fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
	const token = await session.accessToken();
	let response = await get(token);
	if (response.status === 401 && token) {
		const fresh = await session.refreshAfterRejection(token);
		if (fresh) response = await get(fresh);
	}
	if (!response.ok) {
		throw new ApiFailure(response.status, `http_${response.status}`, 'The file cannot be downloaded.');
	}
	return URL.createObjectURL(await response.blob());
}

/** How an attachment is shown in a message. */
export function attachmentKind(contentType: string): 'image' | 'video' | 'audio' | 'file' {
	if (/^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(contentType)) return 'image';
	if (contentType.startsWith('video/')) return 'video';
	if (contentType.startsWith('audio/')) return 'audio';
	return 'file';
}

/** "12 KB", "3.4 MB". */
export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
