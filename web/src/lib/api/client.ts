// The typed REST client. Types come from the server's OpenAPI document (schema.d.ts, generated
// by `npm run gen:api`); requests carry the session's access token and are retried once after a
// refresh when the server answers 401.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { session } from '$lib/session/session.svelte';
import { apiUrl } from '$lib/desktop/server.svelte';

export type Schemas = components['schemas'];
export type ApiErrorBody = Schemas['ApiError'];

/** An API call that failed: the server's stable error code and message, or a network failure. */
export class ApiFailure extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string
	) {
		super(message);
	}
}

async function authorisedFetch(request: Request): Promise<Response> {
	const retry = request.clone();
	const token = await session.accessToken();
	if (token) request.headers.set('authorization', `Bearer ${token}`);
	const response = await fetch(request);
	if (response.status !== 401 || !token) return response;
	const fresh = await session.refreshAfterRejection(token);
	if (!fresh) return response;
	retry.headers.set('authorization', `Bearer ${fresh}`);
	return fetch(retry);
}

/** A Request for an API path on the server (the page's origin, or the desktop's chosen server). */
class ServerRequest extends Request {
	constructor(input: RequestInfo | URL, init?: RequestInit) {
		super(typeof input === 'string' ? apiUrl(input) : input, init);
	}
}

export const api = createClient<paths>({ baseUrl: '', fetch: authorisedFetch, Request: ServerRequest });

/** The data of an openapi-fetch result, or an ApiFailure thrown with the server's error code. */
export async function unwrap<T>(
	call: Promise<{ data?: T; error?: unknown; response: Response }>
): Promise<T> {
	let result: { data?: T; error?: unknown; response: Response };
	try {
		result = await call;
	} catch (err) {
		throw new ApiFailure(0, 'network_error', `The server cannot be reached (${String(err)}).`);
	}
	const { data, error, response } = result;
	if (response.ok) return data as T;
	const body = error as Partial<ApiErrorBody> | undefined;
	throw new ApiFailure(
		response.status,
		body?.code ?? 'http_' + response.status,
		body?.message ?? response.statusText
	);
}

/** A human sentence for any error a call may throw. */
export function describeError(err: unknown): string {
	if (err instanceof ApiFailure) return err.message;
	if (err instanceof Error) return err.message;
	return String(err);
}
