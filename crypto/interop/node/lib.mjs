// Shared pieces of the sender key interop checks: the Rust peer process, an in-memory
// libsignal SenderKeyStore, and an independent (node:crypto) model of the sender chain used to
// build edge-case messages. Test-only; never shipped.

import { spawn } from 'node:child_process';
import { createCipheriv, createHmac, hkdfSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import * as signal from '@signalapp/libsignal-client';

export { signal };

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..', '..');

/** The peer binary: $PEER_BIN, else ${CARGO_TARGET_DIR:-target}/debug/examples/peer. */
export function peerBinary() {
  if (process.env.PEER_BIN) return process.env.PEER_BIN;
  const target = process.env.CARGO_TARGET_DIR || 'target';
  const dir = isAbsolute(target) ? target : join(repoRoot, target);
  const binary = join(dir, 'debug', 'examples', 'peer');
  if (!existsSync(binary)) {
    throw new Error(`peer binary not found at ${binary}; build it with cargo build -p chatalot-crypto --example peer`);
  }
  return binary;
}

export const b64 = (bytes) => Buffer.from(bytes).toString('base64');
export const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));
export const utf8 = (text) => new Uint8Array(Buffer.from(text, 'utf8'));

/** An error answer from the peer. */
export class PeerError extends Error {
  constructor(op, code, message) {
    super(`${op}: ${code}: ${message}`);
    this.code = code;
    this.detail = message;
  }
}

/** One Rust device: the NDJSON peer program. */
export class Peer {
  constructor(name) {
    this.name = name;
    this.child = spawn(peerBinary(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.nextId = 1;
    this.pending = new Map();
    this.exited = new Promise((resolveExit) => this.child.on('exit', resolveExit));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line);
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      waiter(reply);
    });
    this.child.on('exit', () => {
      for (const waiter of this.pending.values()) {
        waiter({ error: { code: 'exited', message: 'peer exited' } });
      }
      this.pending.clear();
    });
  }

  /** Sends one request; resolves with `ok`, rejects with a PeerError. */
  request(op, params = {}) {
    const id = this.nextId++;
    return new Promise((resolveReply, rejectReply) => {
      this.pending.set(id, (reply) => {
        if (reply.error) rejectReply(new PeerError(op, reply.error.code, reply.error.message));
        else resolveReply(reply.ok);
      });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...params })}\n`);
    });
  }

  async close() {
    this.child.stdin.end();
    const code = await this.exited;
    if (code !== 0) throw new Error(`peer ${this.name} exited with ${code}`);
  }
}

/** libsignal's SenderKeyStore, kept in memory (records stored serialized, as a real store). */
export class MemorySenderKeyStore extends signal.SenderKeyStore {
  constructor() {
    super();
    this.records = new Map();
  }

  static key(sender, distributionId) {
    return `${sender.name()}.${sender.deviceId()}/${distributionId}`;
  }

  async saveSenderKey(sender, distributionId, record) {
    this.records.set(MemorySenderKeyStore.key(sender, distributionId), record.serialize());
  }

  async getSenderKey(sender, distributionId) {
    const bytes = this.records.get(MemorySenderKeyStore.key(sender, distributionId));
    return bytes ? signal.SenderKeyRecord.deserialize(bytes) : null;
  }

  forget(sender, distributionId) {
    this.records.delete(MemorySenderKeyStore.key(sender, distributionId));
  }

  /** A snapshot of everything stored, to check that a failed operation changed nothing. */
  snapshot() {
    return [...this.records.entries()].map(([k, v]) => `${k}:${b64(v)}`).sort().join('\n');
  }
}

/** One libsignal device: an address and its sender key store. */
export class LibsignalDevice {
  constructor(name, deviceId = 1) {
    this.address = signal.ProtocolAddress.new(name, deviceId);
    this.store = new MemorySenderKeyStore();
  }

  async distribution(distributionId) {
    const skdm = await signal.SenderKeyDistributionMessage.create(this.address, distributionId, this.store);
    return skdm.serialize();
  }

  async process(sender, distribution) {
    const skdm = signal.SenderKeyDistributionMessage.deserialize(distribution);
    await signal.processSenderKeyDistributionMessage(sender, skdm, this.store);
  }

  async encrypt(distributionId, plaintext) {
    const message = await signal.groupEncrypt(this.address, distributionId, this.store, plaintext);
    if (message.type() !== signal.CiphertextMessageType.SenderKey) throw new Error('not a sender key message');
    return message.serialize();
  }

  async decrypt(sender, ciphertext) {
    return signal.groupDecrypt(sender, this.store, ciphertext);
  }

  /**
   * Installs a sending chain with fixed keys (for known-answer vectors) by writing the record
   * libsignal would have made: SenderKeyRecordStructure { 1: SenderKeyStateStructure {
   * 1: chain_id, 2: { 1: iteration, 2: seed }, 3: { 1: public, 2: private }, 5: message_version } }.
   */
  installChain(distributionId, { chainId, chainKey, signingPrivateKey, iteration = 0 }) {
    const privateKey = signal.PrivateKey.deserialize(signingPrivateKey);
    const publicKey = privateKey.getPublicKey().serialize();
    const state = Buffer.concat([
      pbVarint(1, chainId),
      pbBytes(2, Buffer.concat([pbVarint(1, iteration), pbBytes(2, chainKey)])),
      pbBytes(3, Buffer.concat([pbBytes(1, publicKey), pbBytes(2, signingPrivateKey)])),
      pbVarint(5, 3),
    ]);
    const record = signal.SenderKeyRecord.deserialize(new Uint8Array(pbBytes(1, state)));
    this.store.records.set(MemorySenderKeyStore.key(this.address, distributionId), record.serialize());
  }
}

function varint(value) {
  const out = [];
  let v = BigInt(value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

function pbVarint(field, value) {
  return Buffer.concat([varint((field << 3) | 0), varint(value)]);
}

function pbBytes(field, bytes) {
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), Buffer.from(bytes)]);
}

/**
 * An independent model of the sender chain (HMAC-SHA256 steps, HKDF "WhisperGroup"): the AES
 * ciphertext of `plaintext` at `iteration` of the chain that starts at `chainKey` (iteration 0).
 */
export function chainEncrypt(chainKey, iteration, plaintext) {
  let key = Buffer.from(chainKey);
  for (let i = 0; i < iteration; i++) key = createHmac('sha256', key).update(Buffer.from([2])).digest();
  const seed = createHmac('sha256', key).update(Buffer.from([1])).digest();
  const okm = Buffer.from(hkdfSync('sha256', seed, Buffer.alloc(32), 'WhisperGroup', 48));
  const cipher = createCipheriv('aes-256-cbc', okm.subarray(16, 48), okm.subarray(0, 16));
  return new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));
}

/** A sender key message with any fields, signed by `privateKey` (libsignal does the encoding). */
export function craftMessage({ distributionId, chainId, iteration, ciphertext, privateKey }) {
  return signal.SenderKeyMessage._new(3, distributionId, chainId, iteration, ciphertext, privateKey).serialize();
}

/** A copy of `bytes` with bit 0 of `bytes[index]` flipped (negative index counts from the end). */
export function flip(bytes, index) {
  const copy = new Uint8Array(bytes);
  copy[index < 0 ? copy.length + index : index] ^= 1;
  return copy;
}
