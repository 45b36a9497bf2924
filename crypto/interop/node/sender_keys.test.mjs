// Sender keys: chatalot-crypto (through the Rust peer) against @signalapp/libsignal-client.
// Run by run.sh; needs the peer binary (see lib.mjs).

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, test } from 'node:test';

import {
  LibsignalDevice,
  Peer,
  b64,
  chainEncrypt,
  craftMessage,
  flip,
  signal,
  unb64,
  utf8,
} from './lib.mjs';

const peers = [];
function newPeer(name) {
  const peer = new Peer(name);
  peers.push(peer);
  return peer;
}
after(async () => {
  await Promise.all(peers.map((peer) => peer.close()));
});

/** Plaintexts of assorted lengths around the AES block size. */
const plaintext = (i) => utf8(`message ${i} `.padEnd(1 + ((i * 7) % 40), '.'));

async function rustDecrypt(peer, sender, ciphertext) {
  const answer = await peer.request('sender_key_decrypt', { sender, ciphertext: b64(ciphertext) });
  return unb64(answer.plaintext);
}

async function rustEncrypt(peer, distributionId, bytes) {
  const answer = await peer.request('sender_key_encrypt', { distribution_id: distributionId, plaintext: b64(bytes) });
  return unb64(answer.ciphertext);
}

/** The peer refuses `ciphertext` with a crypto error matching `pattern`. */
async function rustRejects(peer, sender, ciphertext, pattern) {
  await assert.rejects(rustDecrypt(peer, sender, ciphertext), (error) => {
    assert.equal(error.code, 'crypto', error.message);
    assert.match(error.detail, pattern);
    return true;
  });
}

/** libsignal refuses `ciphertext`, matching `pattern`, and its store is unchanged. */
async function libsignalRejects(device, sender, ciphertext, pattern) {
  const before = device.store.snapshot();
  await assert.rejects(device.decrypt(sender, ciphertext), pattern);
  assert.equal(device.store.snapshot(), before, 'a failed decryption changed libsignal state');
}

/** Exports the peer's inbound key for `sender`, to compare before and after a failure. */
async function inboundState(peer, sender, distributionId) {
  return (await peer.request('sender_key_export', { sender, distribution_id: distributionId })).state;
}

test('libsignal → Rust: in order, out of order, after skipped ones; replays rejected', async () => {
  const group = randomUUID();
  const alice = new LibsignalDevice('alice');
  const bob = newPeer('bob');
  const processed = await bob.request('sender_key_process', { sender: 'alice', distribution: b64(await alice.distribution(group)) });
  assert.equal(processed.distribution_id, group);

  const messages = [];
  for (let i = 0; i < 8; i++) messages.push(await alice.encrypt(group, plaintext(i)));
  // 0 in order; 5 skips 1–4; the rest late; 7 skips 6.
  for (const i of [0, 5, 2, 1, 7, 4, 3, 6]) {
    assert.deepEqual(await rustDecrypt(bob, 'alice', messages[i]), plaintext(i), `message ${i}`);
  }
  const before = await inboundState(bob, 'alice', group);
  for (const i of [0, 3, 7]) await rustRejects(bob, 'alice', messages[i], /duplicate/);
  assert.equal(await inboundState(bob, 'alice', group), before, 'a replay changed Rust state');
  const next = await alice.encrypt(group, utf8('after the replays'));
  assert.deepEqual(await rustDecrypt(bob, 'alice', next), utf8('after the replays'));
});

test('Rust → libsignal: in order, out of order, after skipped ones; replays rejected', async () => {
  const group = randomUUID();
  const alice = newPeer('alice');
  const bob = new LibsignalDevice('bob');
  const aliceAddress = signal.ProtocolAddress.new('alice', 1);
  const created = await alice.request('sender_key_create', { distribution_id: group });
  assert.ok(created.chain_id < 2 ** 31, 'chain ids stay 31-bit like libsignal');
  const skdm = signal.SenderKeyDistributionMessage.deserialize(unb64(created.distribution));
  assert.equal(skdm.distributionId(), group);
  assert.equal(skdm.chainId(), created.chain_id);
  assert.equal(skdm.iteration(), 0);
  assert.deepEqual(skdm.serialize(), unb64(created.distribution), 'libsignal re-encodes our distribution identically');
  await bob.process(aliceAddress, unb64(created.distribution));

  const messages = [];
  for (let i = 0; i < 8; i++) messages.push(await rustEncrypt(alice, group, plaintext(i)));
  for (const i of [0, 5, 2, 1, 7, 4, 3, 6]) {
    assert.deepEqual(await bob.decrypt(aliceAddress, messages[i]), plaintext(i), `message ${i}`);
  }
  for (const i of [0, 3, 7]) await libsignalRejects(bob, aliceAddress, messages[i], /duplicate|old counter/i);
  const next = await rustEncrypt(alice, group, utf8('after the replays'));
  assert.deepEqual(await bob.decrypt(aliceAddress, next), utf8('after the replays'));
});

test('both directions interleaved in one group, with a late joiner', async () => {
  const group = randomUUID();
  const alice = newPeer('alice');
  const bob = new LibsignalDevice('bob');
  const carol = newPeer('carol');
  const aliceAddress = signal.ProtocolAddress.new('alice', 1);
  const aliceDistribution = (await alice.request('sender_key_create', { distribution_id: group })).distribution;
  const bobDistribution = b64(await bob.distribution(group));
  await bob.process(aliceAddress, unb64(aliceDistribution));
  await alice.request('sender_key_process', { sender: 'bob', distribution: bobDistribution });
  await carol.request('sender_key_process', { sender: 'bob', distribution: bobDistribution });
  await carol.request('sender_key_process', { sender: 'alice', distribution: aliceDistribution });

  const held = [];
  for (let round = 0; round < 6; round++) {
    const fromAlice = await rustEncrypt(alice, group, plaintext(2 * round));
    const fromBob = await bob.encrypt(group, plaintext(2 * round + 1));
    if (round % 3 === 1) {
      held.push([fromAlice, fromBob, round]);
      continue;
    }
    assert.deepEqual(await bob.decrypt(aliceAddress, fromAlice), plaintext(2 * round));
    assert.deepEqual(await rustDecrypt(alice, 'bob', fromBob), plaintext(2 * round + 1));
    assert.deepEqual(await rustDecrypt(carol, 'alice', fromAlice), plaintext(2 * round));
    assert.deepEqual(await rustDecrypt(carol, 'bob', fromBob), plaintext(2 * round + 1));
  }
  for (const [fromAlice, fromBob, round] of held.reverse()) {
    assert.deepEqual(await bob.decrypt(aliceAddress, fromAlice), plaintext(2 * round));
    assert.deepEqual(await rustDecrypt(alice, 'bob', fromBob), plaintext(2 * round + 1));
  }

  // Dave joins late: he gets the chains as they stand now and reads from here on only.
  const dave = newPeer('dave');
  const current = await alice.request('sender_key_distribution', { distribution_id: group });
  assert.equal(current.iteration, 6);
  await dave.request('sender_key_process', { sender: 'alice', distribution: current.distribution });
  const lateBob = new LibsignalDevice('dave-libsignal');
  await lateBob.process(aliceAddress, unb64(current.distribution));
  const old = held[0][0];
  await rustRejects(dave, 'alice', old, /duplicate/);
  await libsignalRejects(lateBob, aliceAddress, old, /duplicate|old counter/i);
  const fresh = await rustEncrypt(alice, group, utf8('welcome'));
  assert.deepEqual(await rustDecrypt(dave, 'alice', fresh), utf8('welcome'));
  assert.deepEqual(await lateBob.decrypt(aliceAddress, fresh), utf8('welcome'));
});

test('tampered and forged messages are rejected by both, changing nothing', async () => {
  const group = randomUUID();
  const mallory = signal.PrivateKey.generate();

  // libsignal sender, Rust receiver.
  const alice = new LibsignalDevice('alice');
  const bob = newPeer('bob');
  await bob.request('sender_key_process', { sender: 'alice', distribution: b64(await alice.distribution(group)) });
  const genuine = await alice.encrypt(group, utf8('genuine'));
  const parsed = signal.SenderKeyMessage.deserialize(genuine);
  const forged = craftMessage({
    distributionId: group,
    chainId: parsed.chainId(),
    iteration: parsed.iteration(),
    ciphertext: parsed.ciphertext(),
    privateKey: mallory,
  });
  const before = await inboundState(bob, 'alice', group);
  // A ciphertext byte, a signature byte, the iteration byte, a forged signature.
  const iterationAt = genuine.length - 64 - parsed.ciphertext().length - 3;
  assert.equal(genuine[iterationAt - 1], 0x18, 'iteration tag where expected');
  for (const bad of [flip(genuine, -65), flip(genuine, -2), flip(genuine, iterationAt), forged]) {
    await rustRejects(bob, 'alice', bad, /signature/);
  }
  assert.equal(await inboundState(bob, 'alice', group), before);
  assert.deepEqual(await rustDecrypt(bob, 'alice', genuine), utf8('genuine'));

  // Rust sender, libsignal receiver; the impostor knows the chain key but not the signing key.
  const carol = newPeer('carol');
  const dave = new LibsignalDevice('dave');
  const carolAddress = signal.ProtocolAddress.new('carol', 1);
  const chainKey = randomBytes(32);
  const created = await carol.request('sender_key_create', { distribution_id: group, chain_key: b64(chainKey) });
  await dave.process(carolAddress, unb64(created.distribution));
  const impostor = newPeer('impostor');
  await impostor.request('sender_key_create', { distribution_id: group, chain_key: b64(chainKey), chain_id: created.chain_id });
  const real = await rustEncrypt(carol, group, utf8('real'));
  const fake = await rustEncrypt(impostor, group, utf8('fake'));
  for (const bad of [flip(real, -65), flip(real, -2), fake]) {
    await libsignalRejects(dave, carolAddress, bad, /signature/i);
  }
  assert.deepEqual(await dave.decrypt(carolAddress, real), utf8('real'));
});

test('forward jump limit: 25,000 accepted, 25,001 rejected by both', async () => {
  const group = randomUUID();
  const chainKey = randomBytes(32);
  const signing = signal.PrivateKey.generate();
  const chainId = 0x1234567;
  const sender = new LibsignalDevice('alice');
  sender.installChain(group, { chainId, chainKey, signingPrivateKey: signing.serialize() });
  const distribution = await sender.distribution(group);
  const message = (iteration, text) =>
    craftMessage({ distributionId: group, chainId, iteration, ciphertext: chainEncrypt(chainKey, iteration, utf8(text)), privateKey: signing });
  // The independent chain model agrees with libsignal at iteration 0.
  assert.deepEqual(
    signal.SenderKeyMessage.deserialize(await sender.encrypt(group, utf8('zero'))).ciphertext(),
    chainEncrypt(chainKey, 0, utf8('zero')),
  );
  const atLimit = message(25_000, 'at the limit');
  const pastLimit = message(25_001, 'past the limit');
  const aliceAddress = signal.ProtocolAddress.new('alice', 1);

  const bob = newPeer('bob');
  await bob.request('sender_key_process', { sender: 'alice', distribution: b64(distribution) });
  const before = await inboundState(bob, 'alice', group);
  await rustRejects(bob, 'alice', pastLimit, /25000 iterations ahead/);
  assert.equal(await inboundState(bob, 'alice', group), before);
  assert.deepEqual(await rustDecrypt(bob, 'alice', atLimit), utf8('at the limit'));
  assert.deepEqual(await rustDecrypt(bob, 'alice', pastLimit), utf8('past the limit'));

  const carol = new LibsignalDevice('carol');
  await carol.process(aliceAddress, distribution);
  await libsignalRejects(carol, aliceAddress, pastLimit, /too far into the future/);
  assert.deepEqual(await carol.decrypt(aliceAddress, atLimit), utf8('at the limit'));
});

test('unknown chains and groups are rejected by both', async () => {
  const group = randomUUID();
  const alice = new LibsignalDevice('alice');
  const bob = newPeer('bob');
  const carol = new LibsignalDevice('carol');
  const aliceAddress = signal.ProtocolAddress.new('alice', 1);
  const distribution = await alice.distribution(group);
  await bob.request('sender_key_process', { sender: 'alice', distribution: b64(distribution) });
  await carol.process(aliceAddress, distribution);
  const elsewhere = randomUUID();
  await alice.distribution(elsewhere);
  const otherGroup = await alice.encrypt(elsewhere, utf8('elsewhere'));
  const genuine = signal.SenderKeyMessage.deserialize(await alice.encrypt(group, utf8('x')));
  const skdm = signal.SenderKeyDistributionMessage.deserialize(distribution);
  const otherChain = craftMessage({
    distributionId: group,
    chainId: (skdm.chainId() + 1) >>> 0,
    iteration: 1,
    ciphertext: genuine.ciphertext(),
    privateKey: signal.PrivateKey.generate(),
  });
  for (const bad of [otherGroup, otherChain]) {
    await rustRejects(bob, 'alice', bad, /unknown chain/);
    await libsignalRejects(carol, aliceAddress, bad, /missing sender key state/i);
  }
  // Same group and chain, but from a sender we hold no key for.
  await rustRejects(bob, 'mallory', genuine.serialize(), /unknown chain/);
});

test('rotation: a new chain after a member leaves; the departed member cannot read it', async () => {
  const group = randomUUID();
  const alice = newPeer('alice');
  const bob = new LibsignalDevice('bob');
  const carol = newPeer('carol');
  const aliceAddress = signal.ProtocolAddress.new('alice', 1);
  const first = await alice.request('sender_key_create', { distribution_id: group });
  await bob.process(aliceAddress, unb64(first.distribution));
  await carol.request('sender_key_process', { sender: 'alice', distribution: first.distribution });
  const beforeLeave = await rustEncrypt(alice, group, utf8('before carol left'));
  assert.deepEqual(await bob.decrypt(aliceAddress, beforeLeave), utf8('before carol left'));
  assert.deepEqual(await rustDecrypt(carol, 'alice', beforeLeave), utf8('before carol left'));

  // Carol leaves: Alice rotates and distributes to Bob only.
  const second = await alice.request('sender_key_create', { distribution_id: group });
  assert.notEqual(second.chain_id, first.chain_id);
  assert.notEqual(second.signing_key, first.signing_key);
  await bob.process(aliceAddress, unb64(second.distribution));
  const afterLeave = await rustEncrypt(alice, group, utf8('after carol left'));
  assert.deepEqual(await bob.decrypt(aliceAddress, afterLeave), utf8('after carol left'));
  await rustRejects(carol, 'alice', afterLeave, /unknown chain/);

  // libsignal rotates the same way: drop the record, create a new one.
  const dave = new LibsignalDevice('dave');
  const erin = newPeer('erin');
  const daveFirst = await dave.distribution(group);
  await erin.request('sender_key_process', { sender: 'dave', distribution: b64(daveFirst) });
  const oldChain = await dave.encrypt(group, utf8('old chain'));
  dave.store.forget(dave.address, group);
  const daveSecond = await dave.distribution(group);
  const newChain = await dave.encrypt(group, utf8('new chain'));
  await rustRejects(erin, 'dave', newChain, /unknown chain/);
  const processed = await erin.request('sender_key_process', { sender: 'dave', distribution: b64(daveSecond) });
  assert.equal(processed.kept_existing, false);
  assert.deepEqual(await rustDecrypt(erin, 'dave', newChain), utf8('new chain'));
  // The peer keeps one chain per sender: the replaced chain's messages are now unknown.
  await rustRejects(erin, 'dave', oldChain, /unknown chain/);

  // Re-sending the current distribution does not rewind the chain (no replay through it).
  const again = await erin.request('sender_key_process', { sender: 'dave', distribution: b64(daveSecond) });
  assert.equal(again.kept_existing, true);
  await rustRejects(erin, 'dave', newChain, /duplicate/);
});

test('exported state resumes in a new process; bad requests change nothing', async () => {
  const group = randomUUID();
  const alice = new LibsignalDevice('alice');
  const bob = newPeer('bob');
  await bob.request('sender_key_process', { sender: 'alice', distribution: b64(await alice.distribution(group)) });
  const messages = [];
  for (let i = 0; i < 4; i++) messages.push(await alice.encrypt(group, plaintext(i)));
  assert.deepEqual(await rustDecrypt(bob, 'alice', messages[2]), plaintext(2));
  const state = await inboundState(bob, 'alice', group);

  for (const [op, params] of [
    ['sender_key_decrypt', { sender: 'alice', ciphertext: 'not base64!' }],
    ['sender_key_decrypt', { sender: 'alice', ciphertext: b64(messages[0].subarray(0, 40)) }],
    ['sender_key_process', { sender: 'alice', distribution: b64(new Uint8Array([0x33, 0x0a])) }],
    ['sender_key_create', { distribution_id: 'not-a-uuid' }],
    ['sender_key_create', { distribution_id: group, chain_key: b64(new Uint8Array(31)) }],
    ['sender_key_encrypt', { distribution_id: group, plaintext: '' }],
    ['sender_key_import', { sender: 'alice', state: b64(new Uint8Array([1, 5, 0])) }],
  ]) {
    await assert.rejects(bob.request(op, params), (error) => error.code !== 'unknown_op');
  }
  assert.equal(await inboundState(bob, 'alice', group), state);

  const restored = newPeer('bob-restored');
  await restored.request('sender_key_import', { sender: 'alice', state });
  assert.deepEqual(await rustDecrypt(restored, 'alice', messages[0]), plaintext(0));
  assert.deepEqual(await rustDecrypt(restored, 'alice', messages[3]), plaintext(3));
  await rustRejects(restored, 'alice', messages[2], /duplicate/);
});
