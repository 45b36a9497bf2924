// Writes the sender key known-answer vectors that crypto/tests/kat_libsignal.rs checks with plain
// `cargo test`. Both senders use fixed keys, so everything but the (randomized) signatures is
// reproducible; each side's messages are checked by the other side while generating, and the
// file is written only if every check passes. Usage (run.sh --generate-kat does this):
//
//   PEER_BIN=… node generate_kat.mjs crypto/tests/vectors/libsignal_sender_keys.json

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

import { LibsignalDevice, Peer, b64, chainEncrypt, craftMessage, flip, signal, unb64, utf8 } from './lib.mjs';

const output = process.argv[2];
if (!output) throw new Error('usage: node generate_kat.mjs OUTPUT.json');
const version = createRequire(import.meta.url)('@signalapp/libsignal-client/package.json').version;

const DISTRIBUTION_ID = '5e1d0c4b-3a29-4817-a6f5-e4d3c2b1a090';
const MAX_FORWARD_JUMPS = 25_000;
const PLAINTEXTS = [0, 1, 15, 16, 17, 45].map((len, i) =>
  utf8(`kat ${i}: ${'the quick brown fox jumps over the lazy dog'.repeat(2)}`.slice(0, len)),
);
// Out of order, with skipped iterations and two replays that must fail.
const RECEIVE_ORDER = [[0, 'ok'], [3, 'ok'], [1, 'ok'], [5, 'ok'], [0, 'duplicate'], [2, 'ok'], [4, 'ok'], [3, 'duplicate']];

/** 32 fixed bytes: start, start + step, … (mod 256). */
const fixed = (start, step) => Uint8Array.from({ length: 32 }, (_, i) => (start + i * step) & 0xff);
/** X25519 clamping, so the fixed private keys are canonical on every implementation. */
const clamp = (bytes) => {
  const out = Uint8Array.from(bytes);
  out[0] &= 248;
  out[31] &= 127;
  out[31] |= 64;
  return out;
};

// How each side words the failures the vectors name.
const RUST_ERRORS = {
  duplicate: /duplicate/,
  invalid_signature: /signature does not verify/,
  too_far: /25000 iterations ahead/,
  unknown_chain: /unknown chain/,
  invalid_padding: /padding/,
};
const LIBSIGNAL_ERRORS = {
  duplicate: /duplicate|old counter/i,
  invalid_signature: /signature/i,
  too_far: /too far into the future/,
  unknown_chain: /missing sender key state/,
  invalid_padding: /decryption failed|padding/i,
};

const libsignalKeys = {
  chain_id: 0x1234567,
  chain_key: fixed(0x01, 0x07),
  signing_private_key: clamp(fixed(0x90, 0x0d)),
};
const chatalotKeys = {
  chain_id: 0x2468ace,
  chain_key: fixed(0x33, 0x05),
  signing_private_key: clamp(fixed(0x5a, 0x0b)),
};

const aliceAddress = signal.ProtocolAddress.new('libsignal-sender', 1);
const rustSender = 'chatalot-sender';
const peers = [];
const newPeer = (name) => {
  const peer = new Peer(name);
  peers.push(peer);
  return peer;
};

async function rustOutcome(peer, sender, message) {
  try {
    const answer = await peer.request('sender_key_decrypt', { sender, ciphertext: b64(message) });
    return { plaintext: unb64(answer.plaintext) };
  } catch (error) {
    return { error: error.detail ?? String(error) };
  }
}

async function libsignalOutcome(device, sender, message) {
  try {
    return { plaintext: await device.decrypt(sender, message) };
  } catch (error) {
    return { error: String(error.message) };
  }
}

function expectOutcome(outcome, expected, patterns, what) {
  if (expected === 'ok' || expected instanceof Uint8Array) {
    assert.ok(outcome.plaintext, `${what}: ${outcome.error}`);
    if (expected instanceof Uint8Array) assert.deepEqual(outcome.plaintext, expected, what);
  } else {
    assert.ok(outcome.error, `${what}: accepted, expected ${expected}`);
    assert.match(outcome.error, patterns[expected], what);
  }
}

const publicKeyOf = (privateBytes) => signal.PrivateKey.deserialize(privateBytes).getPublicKey().serialize();

function senderVector(name, keys, distribution, messages) {
  return {
    sender: name,
    chain_id: keys.chain_id,
    chain_key: b64(keys.chain_key),
    signing_private_key: b64(keys.signing_private_key),
    signing_public_key: b64(publicKeyOf(keys.signing_private_key)),
    distribution: b64(distribution),
    messages: messages.map((message, i) => ({ iteration: i, plaintext: b64(PLAINTEXTS[i]), message: b64(message) })),
  };
}

// libsignal sends with fixed keys; the Rust peer receives.
const alice = new LibsignalDevice(aliceAddress.name());
alice.installChain(DISTRIBUTION_ID, {
  chainId: libsignalKeys.chain_id,
  chainKey: libsignalKeys.chain_key,
  signingPrivateKey: libsignalKeys.signing_private_key,
});
const aliceDistribution = await alice.distribution(DISTRIBUTION_ID);
const aliceMessages = [];
for (const plaintext of PLAINTEXTS) aliceMessages.push(await alice.encrypt(DISTRIBUTION_ID, plaintext));
const rustReceiver = newPeer('rust-receiver');
await rustReceiver.request('sender_key_process', { sender: aliceAddress.name(), distribution: b64(aliceDistribution) });
for (const [index, expected] of RECEIVE_ORDER) {
  const outcome = await rustOutcome(rustReceiver, aliceAddress.name(), aliceMessages[index]);
  expectOutcome(outcome, expected === 'ok' ? PLAINTEXTS[index] : expected, RUST_ERRORS, `Rust receives libsignal #${index}`);
}

// The Rust peer sends with fixed keys; libsignal receives.
const rustSenderPeer = newPeer('rust-sender');
const created = await rustSenderPeer.request('sender_key_create', {
  distribution_id: DISTRIBUTION_ID,
  chain_id: chatalotKeys.chain_id,
  chain_key: b64(chatalotKeys.chain_key),
  signing_private_key: b64(chatalotKeys.signing_private_key),
});
assert.equal(created.signing_key, b64(publicKeyOf(chatalotKeys.signing_private_key)), 'both derive the same public key');
const rustDistribution = unb64(created.distribution);
const rustMessages = [];
for (const plaintext of PLAINTEXTS) {
  const answer = await rustSenderPeer.request('sender_key_encrypt', { distribution_id: DISTRIBUTION_ID, plaintext: b64(plaintext) });
  rustMessages.push(unb64(answer.ciphertext));
}
const bob = new LibsignalDevice('libsignal-receiver');
const rustAddress = signal.ProtocolAddress.new(rustSender, 1);
await bob.process(rustAddress, rustDistribution);
for (const [index, expected] of RECEIVE_ORDER) {
  const outcome = await libsignalOutcome(bob, rustAddress, rustMessages[index]);
  expectOutcome(outcome, expected === 'ok' ? PLAINTEXTS[index] : expected, LIBSIGNAL_ERRORS, `libsignal receives Rust #${index}`);
}

// Edge cases against a fresh receiver of the libsignal sender's distribution.
const signing = signal.PrivateKey.deserialize(libsignalKeys.signing_private_key);
const craft = (overrides) =>
  craftMessage({
    distributionId: DISTRIBUTION_ID,
    chainId: libsignalKeys.chain_id,
    privateKey: signing,
    ...overrides,
  });
const limitText = utf8('exactly at the forward limit');
const cases = [
  { case: 'at the forward limit', expect: limitText, message: craft({ iteration: MAX_FORWARD_JUMPS, ciphertext: chainEncrypt(libsignalKeys.chain_key, MAX_FORWARD_JUMPS, limitText) }) },
  { case: 'past the forward limit', expect: 'too_far', message: craft({ iteration: MAX_FORWARD_JUMPS + 1, ciphertext: chainEncrypt(libsignalKeys.chain_key, MAX_FORWARD_JUMPS + 1, limitText) }) },
  { case: 'tampered ciphertext', expect: 'invalid_signature', message: flip(aliceMessages[2], -65) },
  { case: 'tampered signature', expect: 'invalid_signature', message: flip(aliceMessages[2], -3) },
  { case: 'forged signature', expect: 'invalid_signature', message: craft({ iteration: 2, ciphertext: chainEncrypt(libsignalKeys.chain_key, 2, utf8('forged')), privateKey: signal.PrivateKey.generate() }) },
  { case: 'unknown chain', expect: 'unknown_chain', message: craft({ chainId: libsignalKeys.chain_id + 1, iteration: 0, ciphertext: chainEncrypt(libsignalKeys.chain_key, 0, utf8('x')) }) },
  { case: 'unknown distribution id', expect: 'unknown_chain', message: craft({ distributionId: '5e1d0c4b-3a29-4817-a6f5-e4d3c2b1a091', iteration: 0, ciphertext: chainEncrypt(libsignalKeys.chain_key, 0, utf8('x')) }) },
  { case: 'signed, but the ciphertext does not decrypt', expect: 'invalid_padding', message: craft({ iteration: 1, ciphertext: Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff) }) },
];
for (const { case: name, expect, message } of cases) {
  const rust = newPeer(`fresh-${name}`);
  await rust.request('sender_key_process', { sender: aliceAddress.name(), distribution: b64(aliceDistribution) });
  expectOutcome(await rustOutcome(rust, aliceAddress.name(), message), expect, RUST_ERRORS, `Rust: ${name}`);
  const device = new LibsignalDevice(`fresh-${name}`);
  await device.process(aliceAddress, aliceDistribution);
  expectOutcome(await libsignalOutcome(device, aliceAddress, message), expect, LIBSIGNAL_ERRORS, `libsignal: ${name}`);
}
await Promise.all(peers.map((peer) => peer.close()));

const vectors = {
  about:
    'Sender key known-answer vectors: libsignal-client and chatalot-crypto messages with fixed keys. ' +
    'Every entry was checked by the other implementation when generated. Regenerate with ' +
    'crypto/interop/node/run.sh --generate-kat; checked by crypto/tests/kat_libsignal.rs.',
  libsignal_client: version,
  distribution_id: DISTRIBUTION_ID,
  max_forward_jumps: MAX_FORWARD_JUMPS,
  receive_order: RECEIVE_ORDER.map(([index, expect]) => ({ index, expect })),
  senders: [
    senderVector('libsignal', libsignalKeys, aliceDistribution, aliceMessages),
    senderVector('chatalot', chatalotKeys, rustDistribution, rustMessages),
  ],
  fresh_receiver_cases: cases.map(({ case: name, expect, message }) => ({
    case: name,
    message: b64(message),
    ...(expect instanceof Uint8Array ? { expect: 'ok', plaintext: b64(expect) } : { expect }),
  })),
};
writeFileSync(output, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${output}: ${aliceMessages.length + rustMessages.length} messages, ${cases.length} fresh-receiver cases`);
