// The generated web package (wasm-bindgen --target web) loaded in Node, used as the web client
// uses it: the JavaScript names, Uint8Array in and out, and exceptions with a `code`.
// Usage: node tests/web_pkg.mjs <wasm-pkg directory>   (crypto/wasm/test.sh runs it)

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
const api = await import(pathToFileURL(join(dir, 'chatalot_crypto_wasm.js')).href);
await api.default({ module_or_path: readFileSync(join(dir, 'chatalot_crypto_wasm_bg.wasm')) });

const text = new TextEncoder();
const read = (bytes) => new TextDecoder().decode(bytes);
let checks = 0;
const check = (name, fn) => {
  fn();
  checks += 1;
  console.log(`ok ${checks} - ${name}`);
};

function device(signedId, oneTimeId) {
  const identity = api.createIdentity();
  const signed = api.generateSignedPreKey(identity.state, signedId);
  const oneTime = api.generateOneTimePreKey(oneTimeId);
  return {
    identityKey: identity.identityKey,
    identity: identity.state,
    signed: signed.state,
    oneTime: oneTime.state,
    bundle: {
      device_id: '0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4a5b',
      user_id: '0190e8c4-8a3e-7cc2-9b1a-000000000001',
      identity_key: identity.identityKey,
      signed_prekey: JSON.parse(signed.publicJson),
      one_time_prekey: JSON.parse(oneTime.publicJson),
    },
  };
}

const alice = device(1, 100);
const bob = device(2, 200);

check('identity and prekeys have the keys API shape', () => {
  assert.ok(alice.identity instanceof Uint8Array);
  assert.equal(Buffer.from(alice.identityKey, 'base64').length, 33);
  assert.deepEqual(Object.keys(bob.bundle.signed_prekey), ['key_id', 'public_key', 'signature']);
  assert.equal(bob.bundle.signed_prekey.key_id, 2);
  assert.equal(Buffer.from(bob.bundle.signed_prekey.signature, 'base64').length, 64);
  assert.deepEqual(Object.keys(bob.bundle.one_time_prekey), ['key_id', 'public_key']);
  assert.equal(api.identityKey(alice.identity), alice.identityKey);
});

check('session: initiate, first message, accept, reply', () => {
  let aliceSession = api.initiateSession(alice.identity, JSON.stringify(bob.bundle));
  const first = api.encrypt(aliceSession, text.encode('hello bob'));
  aliceSession = first.state;

  const info = api.ciphertextInfo(first.ciphertext);
  assert.equal(info.isPreKey, true);
  assert.equal(info.identityKey, alice.identityKey);
  assert.equal(info.signedPreKeyId, 2);
  assert.equal(info.oneTimePreKeyId, 200);

  const accepted = api.acceptPreKeyMessage(bob.identity, bob.signed, bob.oneTime, first.ciphertext);
  assert.equal(read(accepted.plaintext), 'hello bob');
  assert.equal(accepted.identityKey, alice.identityKey);
  assert.equal(accepted.oneTimePreKeyId, 200);

  const reply = api.encrypt(accepted.state, text.encode('hi alice'));
  assert.equal(api.ciphertextInfo(reply.ciphertext).isPreKey, false);
  assert.equal(api.ciphertextInfo(reply.ciphertext).signedPreKeyId, undefined);
  const opened = api.decrypt(aliceSession, reply.ciphertext);
  assert.equal(read(opened.plaintext), 'hi alice');
  const next = api.encrypt(opened.state, text.encode('plain now'));
  assert.equal(api.ciphertextInfo(next.ciphertext).isPreKey, false);
  assert.equal(read(api.decrypt(reply.state, next.ciphertext).plaintext), 'plain now');
});

check('no one-time prekey: undefined in, undefined out', () => {
  const bundle = { ...bob.bundle, one_time_prekey: null };
  const first = api.encrypt(api.initiateSession(alice.identity, JSON.stringify(bundle)), text.encode('x'));
  const accepted = api.acceptPreKeyMessage(bob.identity, bob.signed, undefined, first.ciphertext);
  assert.equal(read(accepted.plaintext), 'x');
  assert.equal(accepted.oneTimePreKeyId, undefined);
});

check('sender keys', () => {
  const conversation = '0190e8c4-8a3e-7cc2-9b1a-5d1c2e3f4a5b';
  const created = api.createSenderKey(conversation);
  const received = api.processSenderKeyDistribution(created.distribution, undefined);
  assert.equal(received.distributionId, conversation);
  const sent = api.groupEncrypt(created.state, text.encode('hello group'));
  const opened = api.groupDecrypt(received.state, sent.ciphertext);
  assert.equal(read(opened.plaintext), 'hello group');
  assert.deepEqual(api.senderKeyDistribution(sent.state).length > 0, true);
});

check('safety number is the same on both sides', () => {
  const a = api.safetyNumber(alice.identityKey, 'alice', bob.identityKey, 'bob');
  assert.match(a, /^[0-9]{60}$/);
  assert.equal(api.safetyNumber(bob.identityKey, 'bob', alice.identityKey, 'alice'), a);
});

check('bad input throws an Error with a stable code', () => {
  const throwsCode = (fn, code) =>
    assert.throws(fn, (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'ChatalotCryptoError');
      assert.equal(error.code, code);
      return true;
    });
  throwsCode(() => api.encrypt(new Uint8Array(), text.encode('x')), 'malformed_state');
  throwsCode(() => api.decrypt(alice.identity, new Uint8Array([1, 2, 3])), 'malformed_state');
  throwsCode(() => api.initiateSession(alice.identity, '{'), 'invalid_json');
  throwsCode(() => api.initiateSession(alice.identity, JSON.stringify({ ...bob.bundle, identity_key: '!' })), 'invalid_base64');
  throwsCode(() => api.ciphertextInfo(new Uint8Array()), 'malformed_message');
  throwsCode(() => api.createSenderKey('nope'), 'invalid_argument');
  throwsCode(() => api.safetyNumber('BQ==', 'a', bob.identityKey, 'b'), 'invalid_public_key');
  // The module is still usable after errors (no panic aborted it).
  assert.equal(api.identityKey(alice.identity), alice.identityKey);
});

console.log(`web package: ${checks} passed, 0 failed`);
