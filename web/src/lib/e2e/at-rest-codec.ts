// A lossless text form of the values E2eDb keeps (so they can be encrypted at rest): JSON, with
// bytes and `undefined` written as tagged objects. What the stores hold is plain data: records
// and arrays of strings, numbers, booleans, null, Uint8Array (ratchet and key states) and
// optional fields. Anything else (Map, Date, class instances, NaN) is refused rather than
// silently changed, so a new kind of value fails loudly in tests instead of corrupting state.
import { fromBase64, toBase64 } from './base64';

const TAG = '$t';

type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

function encodeValue(value: unknown, path: string): Encoded {
	if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
	if (value === undefined) return { [TAG]: 'undefined' };
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new TypeError(`at-rest codec: ${path} is not a finite number`);
		return value;
	}
	if (value instanceof Uint8Array) return { [TAG]: 'u8', b: toBase64(value) };
	if (value instanceof ArrayBuffer) return { [TAG]: 'ab', b: toBase64(new Uint8Array(value)) };
	if (Array.isArray(value)) return value.map((item, i) => encodeValue(item, `${path}[${i}]`));
	if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
		const out: { [key: string]: Encoded } = {};
		for (const [key, item] of Object.entries(value)) out[key] = encodeValue(item, `${path}.${key}`);
		// A record that happens to have the tag's name as a field is wrapped so it is not read as a tag.
		return TAG in out ? { [TAG]: 'object', v: out } : out;
	}
	throw new TypeError(`at-rest codec: ${path} is a ${Object.prototype.toString.call(value)}, which is not stored`);
}

function decodeValue(value: Encoded): unknown {
	if (value === null || typeof value !== 'object') return value;
	if (Array.isArray(value)) return value.map(decodeValue);
	if (!(TAG in value)) return decodeRecord(value);
	switch (value[TAG]) {
		case 'undefined':
			return undefined;
		case 'u8':
			return fromBase64(String(value.b));
		case 'ab':
			return fromBase64(String(value.b)).buffer;
		case 'object':
			return decodeRecord(value.v as { [key: string]: Encoded });
		default:
			throw new TypeError(`at-rest codec: unknown tag ${JSON.stringify(value[TAG])}`);
	}
}

function decodeRecord(record: { [key: string]: Encoded }): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(record)) out[key] = decodeValue(item);
	return out;
}

/** The value as JSON text (throws on a value the stores never hold). */
export function encodeStored(value: unknown): string {
	return JSON.stringify(encodeValue(value, 'value'));
}

/** The value `encodeStored` wrote. */
export function decodeStored(text: string): unknown {
	return decodeValue(JSON.parse(text) as Encoded);
}
