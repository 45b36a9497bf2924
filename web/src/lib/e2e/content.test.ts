import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './base64';
import { decodeContent, encodeContent, entryKind, isVisible, preview } from './content';
import { formatSafetyNumber, newDevices, trustContact } from './safety';

describe('content', () => {
	it('round-trips every kind', () => {
		const file = {
			kind: 'file' as const,
			attachment_id: 'id',
			name: 'cat.png',
			key: 'k',
			digest: 'd',
			type: 'image/png',
			size: 3
		};
		for (const content of [
			{ kind: 'text' as const, text: 'héllo 👋' },
			{ kind: 'sender_key' as const, distribution: 'AAA=' },
			file
		]) {
			expect(decodeContent(encodeContent(content))).toEqual(content);
		}
	});

	it('refuses what it does not know', () => {
		const bytes = (s: string) => new TextEncoder().encode(s);
		expect(decodeContent(bytes('not json'))).toBeNull();
		expect(decodeContent(bytes('{"kind":"poll"}'))).toBeNull();
		expect(decodeContent(bytes('{"kind":"text","text":5}'))).toBeNull();
		expect(decodeContent(bytes('{"kind":"file","name":"x"}'))).toBeNull();
		expect(decodeContent(new Uint8Array([0xff, 0xfe]))).toBeNull();
	});

	it('drops unknown fields of files', () => {
		const raw = '{"kind":"file","attachment_id":"a","name":"n","key":"k","digest":"d","size":"big"}';
		expect(decodeContent(new TextEncoder().encode(raw))).toEqual({
			kind: 'file',
			attachment_id: 'a',
			name: 'n',
			key: 'k',
			digest: 'd'
		});
	});

	it('tells entries apart by their first byte', () => {
		expect(entryKind(new Uint8Array([0x01, 0]))).toBe('pairwise');
		expect(entryKind(new Uint8Array([0x81]))).toBe('prekey');
		expect(entryKind(new Uint8Array([0x33]))).toBe('group');
		expect(entryKind(new Uint8Array([]))).toBe('unknown');
	});

	it('hides sender-key handovers and previews the rest', () => {
		expect(isVisible({ kind: 'sender_key', distribution: '' })).toBe(false);
		expect(isVisible(null)).toBe(true);
		expect(preview({ kind: 'text', text: 'hi' })).toBe('hi');
		expect(preview(null)).toBe('Encrypted message');
	});
});

describe('base64 and safety numbers', () => {
	it('round-trips bytes', () => {
		const bytes = new Uint8Array(70_000).map((_, i) => i % 256);
		expect(fromBase64(toBase64(bytes))).toEqual(bytes);
		expect(toBase64(new Uint8Array([0xfb, 0xff]))).toBe('+/8=');
	});

	it('groups 60 digits by five', () => {
		const groups = formatSafetyNumber('0123456789'.repeat(6));
		expect(groups).toHaveLength(12);
		expect(groups[0]).toBe('01234');
	});

	it('names trust contacts per device and spots new devices', () => {
		expect(trustContact('u', 'd')).toBe('u/d');
		expect(newDevices(null, ['a'])).toEqual([]);
		expect(newDevices(['a'], ['a', 'b'])).toEqual(['b']);
	});
});
