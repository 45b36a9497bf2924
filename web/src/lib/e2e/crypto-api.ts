// The functions of chatalot-crypto-wasm this client uses, typed by hand after crypto/wasm/src/
// (the generated package lives in ./pkg, built by scripts/build-wasm.sh and not committed, so the
// type check must not depend on it). Every `state` is an opaque versioned byte string; a call
// that changes one returns the new one. Errors are thrown as `ChatalotCryptoError` with a `code`.

interface Freeable {
	free(): void;
}

export interface Identity extends Freeable {
	readonly identityKey: string;
	readonly state: Uint8Array;
}

export interface GeneratedPreKey extends Freeable {
	/** JSON in the keys API's shape: `{key_id, public_key[, signature]}`. */
	readonly publicJson: string;
	readonly state: Uint8Array;
}

export interface Encrypted extends Freeable {
	readonly state: Uint8Array;
	readonly ciphertext: Uint8Array;
}

export interface Decrypted extends Freeable {
	readonly state: Uint8Array;
	readonly plaintext: Uint8Array;
}

export interface Accepted extends Decrypted {
	readonly identityKey: string;
	readonly oneTimePreKeyId: number | undefined;
}

export interface CiphertextInfo extends Freeable {
	readonly isPreKey: boolean;
	readonly identityKey: string | undefined;
	readonly signedPreKeyId: number | undefined;
	readonly oneTimePreKeyId: number | undefined;
}

export interface SenderKey extends Freeable {
	readonly state: Uint8Array;
	readonly distribution: Uint8Array;
}

export interface ReceivedSenderKey extends Freeable {
	readonly state: Uint8Array;
	readonly distributionId: string;
}

export type TrustLevel = 'first_use' | 'trusted' | 'verified' | 'changed';

export interface TrustCheck extends Freeable {
	readonly trust: string;
	readonly previousIdentityKey: string | undefined;
	readonly wasVerified: boolean;
	readonly state: Uint8Array;
}

export interface EncryptedFile extends Freeable {
	readonly blob: Uint8Array;
	readonly key: string;
	readonly digest: string;
}

export interface CryptoApi {
	createIdentity(): Identity;
	identityKey(identityState: Uint8Array): string;
	generateSignedPreKey(identityState: Uint8Array, keyId: number): GeneratedPreKey;
	generateOneTimePreKey(keyId: number): GeneratedPreKey;
	initiateSession(identityState: Uint8Array, bundleJson: string): Uint8Array;
	encrypt(sessionState: Uint8Array, plaintext: Uint8Array): Encrypted;
	decrypt(sessionState: Uint8Array, ciphertext: Uint8Array): Decrypted;
	ciphertextInfo(ciphertext: Uint8Array): CiphertextInfo;
	acceptPreKeyMessage(
		identityState: Uint8Array,
		signedPreKeyState: Uint8Array,
		oneTimePreKeyState: Uint8Array | undefined,
		ciphertext: Uint8Array
	): Accepted;
	createSenderKey(distributionId: string): SenderKey;
	senderKeyDistribution(senderKeyState: Uint8Array): Uint8Array;
	processSenderKeyDistribution(
		distribution: Uint8Array,
		existingState: Uint8Array | undefined
	): ReceivedSenderKey;
	groupEncrypt(senderKeyState: Uint8Array, plaintext: Uint8Array): Encrypted;
	groupDecrypt(inboundState: Uint8Array, ciphertext: Uint8Array): Decrypted;
	safetyNumber(
		localIdentityKey: string,
		localUserId: string,
		remoteIdentityKey: string,
		remoteUserId: string
	): string;
	newKnownIdentities(): Uint8Array;
	observeIdentity(knownState: Uint8Array, contact: string, identityKey: string): TrustCheck;
	acceptIdentityChange(knownState: Uint8Array, contact: string, identityKey: string): Uint8Array;
	markIdentityVerified(knownState: Uint8Array, contact: string, identityKey: string): Uint8Array;
	encryptAttachment(bytes: Uint8Array): EncryptedFile;
	decryptAttachment(blob: Uint8Array, key: string, digest: string): Uint8Array;
}

/** The module as wasm-bindgen --target web generates it. */
export interface CryptoModule extends CryptoApi {
	default(options: { module_or_path: string | URL }): Promise<unknown>;
}

/** The stable error code of a thrown crypto error, or null for anything else. */
export function cryptoErrorCode(err: unknown): string | null {
	if (err instanceof Error && err.name === 'ChatalotCryptoError') {
		const code = (err as Error & { code?: unknown }).code;
		return typeof code === 'string' ? code : 'internal';
	}
	return null;
}

/** Copies the getters of a wasm result into plain values and frees the wasm object. */
export function take<T extends Freeable, R>(value: T, read: (value: T) => R): R {
	try {
		return read(value);
	} finally {
		value.free();
	}
}
