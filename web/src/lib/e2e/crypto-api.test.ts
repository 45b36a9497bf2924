// Runs the built WebAssembly package (when scripts/build-wasm.sh has made it) through the
// hand-written CryptoApi types, as the engine uses it: prekeys in the keys API's shape, a
// pairwise exchange, a group message, trust on first use, attachments.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './base64';
import { decodeContent, encodeContent, entryKind } from './content';
import { cryptoErrorCode, take, type CryptoApi, type CryptoModule } from './crypto-api';

const modules = import.meta.glob<CryptoModule>('./pkg/chatalot_crypto_wasm.js');
const load = Object.values(modules)[0];

async function cryptoApi(): Promise<CryptoApi> {
	const module = await load!();
	const wasm = readFileSync(fileURLToPath(new URL('./pkg/chatalot_crypto_wasm_bg.wasm', import.meta.url)));
	await module.default({ module_or_path: wasm as unknown as string });
	return module;
}

function device(api: CryptoApi, userId: string) {
	const identity = take(api.createIdentity(), (i) => ({ key: i.identityKey, state: i.state }));
	const signed = take(api.generateSignedPreKey(identity.state, 1), (k) => ({ json: k.publicJson, state: k.state }));
	const oneTime = take(api.generateOneTimePreKey(7), (k) => ({ json: k.publicJson, state: k.state }));
	const bundle = {
		device_id: '01a22938-0000-7000-8000-000000000001',
		user_id: userId,
		identity_key: identity.key,
		signed_prekey: JSON.parse(signed.json) as unknown,
		one_time_prekey: JSON.parse(oneTime.json) as unknown
	};
	return { identity, signed, oneTime, bundle };
}

describe.skipIf(!load)('the wasm package through CryptoApi', () => {
	it('exchanges pairwise and group messages', async () => {
		const api = await cryptoApi();
		const alice = device(api, 'alice');
		const bob = device(api, 'bob');

		let aliceSession = api.initiateSession(alice.identity.state, JSON.stringify(bob.bundle));
		const first = take(api.encrypt(aliceSession, encodeContent({ kind: 'text', text: 'hi bob' })), (e) => ({
			state: e.state,
			ciphertext: e.ciphertext
		}));
		aliceSession = first.state;
		expect(entryKind(first.ciphertext)).toBe('prekey');
		const info = take(api.ciphertextInfo(first.ciphertext), (i) => ({ one: i.oneTimePreKeyId, spk: i.signedPreKeyId }));
		expect(info).toEqual({ one: 7, spk: 1 });
		const accepted = take(
			api.acceptPreKeyMessage(bob.identity.state, bob.signed.state, bob.oneTime.state, fromBase64(toBase64(first.ciphertext))),
			(a) => ({ state: a.state, plaintext: a.plaintext, identityKey: a.identityKey })
		);
		expect(decodeContent(accepted.plaintext)).toEqual({ kind: 'text', text: 'hi bob' });
		expect(accepted.identityKey).toBe(alice.identity.key);

		const reply = take(api.encrypt(accepted.state, encodeContent({ kind: 'text', text: 'hi alice' })), (e) => e.ciphertext);
		expect(entryKind(reply)).toBe('pairwise');
		const opened = take(api.decrypt(aliceSession, reply), (d) => ({ state: d.state, plaintext: d.plaintext }));
		expect(decodeContent(opened.plaintext)).toEqual({ kind: 'text', text: 'hi alice' });
		// Keys are single-use: with the new state, a replay fails with a stable code.
		const codeOf = (run: () => unknown) => {
			try {
				run();
			} catch (err) {
				return cryptoErrorCode(err);
			}
			return 'no error';
		};
		expect(codeOf(() => api.decrypt(opened.state, reply))).toBe('duplicate_message');
		expect(codeOf(() => api.decrypt(new Uint8Array([1]), reply))).toBe('malformed_state');

		const conversation = '01a22938-b945-779b-b6dc-db892f03fdbb';
		const key = take(api.createSenderKey(conversation), (k) => ({ state: k.state, distribution: k.distribution }));
		const inbound = take(api.processSenderKeyDistribution(key.distribution, undefined), (r) => ({
			state: r.state,
			id: r.distributionId
		}));
		expect(inbound.id).toBe(conversation);
		const sealed = take(api.groupEncrypt(key.state, encodeContent({ kind: 'text', text: 'all' })), (e) => e.ciphertext);
		expect(entryKind(sealed)).toBe('group');
		expect(decodeContent(take(api.groupDecrypt(inbound.state, sealed), (d) => d.plaintext))).toEqual({
			kind: 'text',
			text: 'all'
		});
	});

	it('warns about a changed identity key and encrypts files', async () => {
		const api = await cryptoApi();
		const one = api.createIdentity().identityKey;
		const two = api.createIdentity().identityKey;
		let known = api.newKnownIdentities();
		const first = take(api.observeIdentity(known, 'bob/d1', one), (c) => ({ trust: c.trust, state: c.state }));
		expect(first.trust).toBe('first_use');
		known = api.markIdentityVerified(first.state, 'bob/d1', one);
		const changed = take(api.observeIdentity(known, 'bob/d1', two), (c) => ({
			trust: c.trust,
			previous: c.previousIdentityKey,
			wasVerified: c.wasVerified,
			state: c.state
		}));
		expect(changed).toMatchObject({ trust: 'changed', previous: one, wasVerified: true });
		known = api.acceptIdentityChange(changed.state, 'bob/d1', two);
		expect(take(api.observeIdentity(known, 'bob/d1', two), (c) => c.trust)).toBe('trusted');
		expect(api.safetyNumber(one, 'alice', two, 'bob')).toBe(api.safetyNumber(two, 'bob', one, 'alice'));

		const file = new TextEncoder().encode('a private scan');
		const sealed = take(api.encryptAttachment(file), (f) => ({ blob: f.blob, key: f.key, digest: f.digest }));
		expect(new TextDecoder().decode(api.decryptAttachment(sealed.blob, sealed.key, sealed.digest))).toBe('a private scan');
		const tampered = sealed.blob.slice();
		tampered[20] = (tampered[20] ?? 0) ^ 1;
		expect(() => api.decryptAttachment(tampered, sealed.key, sealed.digest)).toThrow();
	});
});
