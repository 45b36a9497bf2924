import { describe, expect, it } from 'vitest';
import { checkServer, normaliseServerUrl } from './connect';

const answer = (status: number, body: string, type = 'application/json') =>
	(async () => new Response(body, { status, headers: { 'content-type': type } })) as unknown as typeof fetch;

describe('normaliseServerUrl', () => {
	it('keeps only the origin and defaults to https', () => {
		expect(normaliseServerUrl(' https://chat.example.com/app/ ')).toBe('https://chat.example.com');
		expect(normaliseServerUrl('chat.example.com:8443')).toBe('https://chat.example.com:8443');
		expect(normaliseServerUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
	});
	it('refuses what is not an http(s) server address', () => {
		for (const bad of ['', '   ', 'ftp://example.com', 'http://', 'https://user:pw@example.com', 'http://exa mple.com']) {
			expect(normaliseServerUrl(bad), bad).toBeNull();
		}
	});
});

describe('checkServer', () => {
	it('accepts a Chatalot answer and asks the instance endpoint', async () => {
		let asked = '';
		const fetchImpl = (async (url: string) => {
			asked = url;
			return new Response('{"registration_mode":"open","name":"x"}', { status: 200 });
		}) as unknown as typeof fetch;
		expect(await checkServer('chat.example.com/', fetchImpl)).toEqual({ ok: true, url: 'https://chat.example.com' });
		expect(asked).toBe('https://chat.example.com/api/v1/instance');
	});
	it('tells an invalid address, an unreachable server and another kind of server apart', async () => {
		expect(await checkServer('mailto:x@y', answer(200, '{}'))).toMatchObject({ ok: false, reason: 'invalid' });
		const failing = (async () => {
			throw new TypeError('Failed to fetch');
		}) as unknown as typeof fetch;
		const down = await checkServer('https://down.example', failing);
		expect(down).toMatchObject({ ok: false, reason: 'unreachable' });
		expect(!down.ok && down.message).toContain('cannot be reached');
		for (const other of [
			answer(404, '{"registration_mode":"open"}'),
			answer(200, '<!doctype html><title>hi</title>', 'text/html'),
			answer(200, '{"registration_mode":3}'),
			answer(200, 'null'),
			answer(200, '["registration_mode"]')
		]) {
			expect(await checkServer('https://other.example', other)).toMatchObject({ ok: false, reason: 'not_chatalot' });
		}
	});
});
