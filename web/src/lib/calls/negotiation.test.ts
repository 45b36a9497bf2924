import { describe, expect, it } from 'vitest';
import { initiatorOf, isNewRemoteSession, isPolite, sdpSessionId } from './negotiation';

const sdp = (session: string) =>
	`v=0\r\no=- ${session} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n`;

describe('who offers', () => {
	it('is the later joiner, whichever side asks', () => {
		const early = { user_id: 'zzz', joined_at: '2026-01-01T10:00:00Z' };
		const late = { user_id: 'aaa', joined_at: '2026-01-01T10:00:01.500Z' };
		expect(initiatorOf(early, late)).toBe('aaa');
		expect(initiatorOf(late, early)).toBe('aaa');
	});

	it('breaks ties by the larger user id', () => {
		const a = { user_id: 'a1', joined_at: '2026-01-01T10:00:00Z' };
		const b = { user_id: 'b2', joined_at: '2026-01-01T10:00:00.000Z' };
		expect(initiatorOf(a, b)).toBe('b2');
		expect(initiatorOf(b, a)).toBe('b2');
	});
});

describe('glare', () => {
	it('makes exactly one side of a pair polite', () => {
		expect(isPolite('b', 'a')).toBe(true);
		expect(isPolite('a', 'b')).toBe(false);
	});
});

describe('remote sessions', () => {
	it('reads the session id of the o= line', () => {
		expect(sdpSessionId(sdp('4611731400430051336'))).toBe('4611731400430051336');
		expect(sdpSessionId('v=0\nm=audio 9 x\n')).toBeNull();
	});

	it('tells a new peer connection from a renegotiation', () => {
		expect(isNewRemoteSession(null, sdp('1'))).toBe(false);
		expect(isNewRemoteSession('1', sdp('1'))).toBe(false);
		expect(isNewRemoteSession('1', sdp('2'))).toBe(true);
		expect(isNewRemoteSession('1', 'garbage')).toBe(false);
	});
});
