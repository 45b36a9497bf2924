import { describe, expect, it } from 'vitest';
import { decodeBase64Url } from './push';

describe('VAPID key decoding', () => {
	it('decodes unpadded base64url into the key bytes', () => {
		// 0xfb 0xff 0xfe encodes to "-__-" in base64url (with - and _ where base64 has + and /).
		expect([...decodeBase64Url('-__-')]).toEqual([0xfb, 0xff, 0xfe]);
		expect([...decodeBase64Url('AQ')]).toEqual([1]);
		const key = decodeBase64Url('B' + 'A'.repeat(86));
		expect(key.length).toBe(65);
		expect(key[0]).toBe(4);
	});
});
