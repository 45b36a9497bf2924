import { describe, expect, it } from 'vitest';
import { MAX_PLACES, ResumePoints, backoffMs } from './resume';

describe('resume points', () => {
	it('keeps the newest id per place, split by kind', () => {
		const points = new ResumePoints();
		expect(points.toResume()).toBeUndefined();
		points.seen('channel', 'c1', 'm1');
		points.seen('channel', 'c1', 'm2');
		points.seen('conversation', 'd1', 'm3');
		expect(points.toResume()).toEqual({ channels: { c1: 'm2' }, conversations: { d1: 'm3' } });
		points.forget('channel', 'c1');
		expect(points.toResume()).toEqual({ channels: {}, conversations: { d1: 'm3' } });
	});

	it('drops the least recently active place past the bound', () => {
		const points = new ResumePoints();
		for (let i = 0; i <= MAX_PLACES; i++) points.seen('channel', `c${i}`, `m${i}`);
		points.seen('channel', 'c1', 'newer'); // c1 becomes the most recent
		points.seen('channel', 'extra', 'm');
		const resume = points.toResume()!;
		expect(points.size).toBe(MAX_PLACES);
		expect(resume.channels['c0']).toBeUndefined();
		expect(resume.channels['c2']).toBeUndefined();
		expect(resume.channels['c1']).toBe('newer');
		expect(resume.channels['extra']).toBe('m');
	});
});

describe('reconnect backoff', () => {
	it('doubles from half a second up to thirty seconds, with jitter', () => {
		expect(backoffMs(0, () => 0.5)).toBe(500);
		expect(backoffMs(3, () => 0.5)).toBe(4000);
		expect(backoffMs(40, () => 0.5)).toBe(30_000);
		expect(backoffMs(0, () => 0)).toBe(400);
		expect(backoffMs(0, () => 1)).toBe(600);
	});
});
