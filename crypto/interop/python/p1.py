"""Chatalot's parameter set P1 built from the `x3dh` and `doubleratchet` packages, plus our wire formats.

Every choice below was checked against the installed library sources (x3dh 1.3.0, doubleratchet 1.3.0):

X3DH (`x3dh.BaseState`)
  * `_encode_public_key` is ours: `Encode(PK)` = 0x05 || 32-byte key. The library signs
    `_encode_public_key(CURVE_25519, SPK)` and builds AD = Encode(IK_A) || Encode(IK_B) with it.
  * identity key format CURVE_25519: signatures are XEdDSA in the specification's form (the library
    forces the identity key's Edwards sign bit to 0 before signing and verifies with sign bit 0).
  * hash SHA_256: HKDF salt = hash-size (32) zero bytes, IKM = 0xFF*32 || DH1 || DH2 || DH3 [|| DH4],
    32 bytes out, info = "Chatalot_X3DH".

Double Ratchet (`doubleratchet.DoubleRatchet`)
  * root chain: recommended HKDF KDF (salt = root key, IKM = DH output, info "Chatalot_Ratchet").
    `KDFChain.step` derives 32 + 32 bytes and keeps the first 32 as the next root key, the rest is
    the chain key: RK || CK as in our crate.
  * message chains: recommended separate-HMACs KDF, which outputs HMAC(CK, c[0]) || HMAC(CK, c[1]).
    `KDFChain.step` keeps the first output as the next chain key and returns the second as the
    message key, so the constant must be 0x02 0x01 to get CK' = HMAC(CK, 0x02), MK = HMAC(CK, 0x01).
  * AEAD: recommended AES-HMAC with SHA-256: HKDF(salt = 32 zero bytes, IKM = MK, info
    "Chatalot_MessageKeys", 80 bytes) -> AES-256 key || HMAC key || IV; AES-256-CBC with PKCS#7; the
    full 32-byte HMAC-SHA256 over associated data || ciphertext is appended to the ciphertext.
  * `_build_associated_data` = X3DH AD || ratchet key (32) || PN (u32 BE) || N (u32 BE), the header
    exactly as our wire format carries it.
  * `dos_protection_threshold` = MAX_SKIP = 1000, `max_num_skipped_message_keys` = 2000.

The harness (harness.py) checks these details again at run time against direct computations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import struct
from typing import Dict, List, Optional, Tuple

import x3dh
import x3dh.base_state
import x3dh.identity_key_pair
import xeddsa
import xeddsa.bindings
from doubleratchet import DoubleRatchet, EncryptedMessage, Header
from doubleratchet.recommended import (
    HashFunction,
    aead_aes_hmac,
    diffie_hellman_ratchet_curve25519,
    kdf_hkdf,
    kdf_separate_hmacs,
)

KEY_TYPE_DJB = b"\x05"
X3DH_INFO = b"Chatalot_X3DH"
RATCHET_INFO = b"Chatalot_Ratchet"
MESSAGE_KEYS_INFO = b"Chatalot_MessageKeys"
# KDFChain keeps the first HMAC as the next chain key: see the module docstring.
MESSAGE_CHAIN_CONSTANT = b"\x02\x01"
MAX_SKIP = 1000
MAX_SKIPPED_KEYS = 2000

MESSAGE_VERSION = 0x01
PREKEY_MESSAGE_VERSION = 0x81
HEADER_LEN = 40
MAC_LEN = 32


def encode_key(pub: bytes) -> bytes:
    """`Encode(PK)`."""
    if len(pub) != 32:
        raise ValueError("an X25519 public key is 32 bytes")
    return KEY_TYPE_DJB + pub


def decode_key(encoded: bytes) -> bytes:
    """Inverse of `encode_key`; the 0x05 prefix is required."""
    if len(encoded) != 33 or encoded[:1] != KEY_TYPE_DJB:
        raise ValueError("Encode(PK) is 0x05 followed by 32 bytes")
    return encoded[1:]


def public_key(priv: bytes) -> bytes:
    """The X25519 public key of a raw private key (clamped as X25519 specifies)."""
    return xeddsa.priv_to_curve25519_pub(priv)


# ---------------------------------------------------------------------------------------------
# Randomness. Normal runs use the OS. Known-answer runs install a seeded stream everywhere the
# libraries draw key material (see `seeded_randomness`), so the transcript is reproducible.


class OsRandom:
    """The libraries' default source: `secrets`."""

    def token_bytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)

    def choice(self, seq):
        return secrets.choice(seq)


class SeededRandom:
    """SHA-256 in counter mode over a label: reproducible test keys, never for real use.

    Also logs every draw, so the caller can tell which bytes became which key."""

    def __init__(self, label: str) -> None:
        self.label = label.encode()
        self.counter = 0
        self.draws: List[bytes] = []

    def token_bytes(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(self.label + struct.pack(">Q", self.counter)).digest()
            self.counter += 1
        out = out[:n]
        self.draws.append(out)
        return out

    def choice(self, seq):
        if not seq:
            raise IndexError("empty sequence")
        return seq[int.from_bytes(self.token_bytes(4), "big") % len(seq)]


RANDOM = OsRandom()  # replaced by `seeded_randomness`


class seeded_randomness:
    """Context manager: every key the libraries or this module generate comes from `source`.

    x3dh draws identity seeds, signed/one-time prekeys and the X3DH ephemeral key from the
    `secrets` module it imported, with no parameter to fix the ephemeral key; xeddsa draws the
    signature nonce the same way. For the duration of the block both modules see `source`
    instead of `secrets`; the Double Ratchet keys come from `RatchetKeys._generate_priv` below."""

    def __init__(self, source: SeededRandom) -> None:
        self.source = source

    def __enter__(self) -> SeededRandom:
        global RANDOM
        self.saved = (RANDOM, x3dh.base_state.secrets, xeddsa.bindings.secrets)
        RANDOM = self.source
        x3dh.base_state.secrets = self.source  # type: ignore[assignment]
        xeddsa.bindings.secrets = self.source  # type: ignore[assignment]
        return self.source

    def __exit__(self, *exc) -> None:
        global RANDOM
        RANDOM, x3dh.base_state.secrets, xeddsa.bindings.secrets = self.saved


# ---------------------------------------------------------------------------------------------
# X3DH


class X3DHState(x3dh.BaseState):
    """`x3dh.BaseState` with `Encode(PK)`; prekey rotation and deletion are managed by the caller."""

    @staticmethod
    def _encode_public_key(key_format: x3dh.IdentityKeyFormat, pub: bytes) -> bytes:
        if key_format is not x3dh.IdentityKeyFormat.CURVE_25519:
            raise ValueError("P1 identity keys are Curve25519 keys")
        return encode_key(pub)


def create_x3dh_state(identity_private: bytes) -> X3DHState:
    return X3DHState.create(
        x3dh.IdentityKeyFormat.CURVE_25519,
        x3dh.HashFunction.SHA_256,
        X3DH_INFO,
        x3dh.identity_key_pair.IdentityKeyPairPriv(identity_private),
    )


# ---------------------------------------------------------------------------------------------
# Double Ratchet


class RatchetKeys(diffie_hellman_ratchet_curve25519.DiffieHellmanRatchet):
    """The recommended X25519 ratchet, with key generation through `RANDOM`.

    `generated` maps each public key to its private key so known-answer runs can record them."""

    generated: Dict[bytes, bytes] = {}

    @staticmethod
    def _generate_priv() -> bytes:
        priv = RANDOM.token_bytes(32)
        RatchetKeys.generated[public_key(priv)] = priv
        return priv


class RootKdf(kdf_hkdf.KDF):
    @staticmethod
    def _get_hash_function() -> HashFunction:
        return HashFunction.SHA_256

    @staticmethod
    def _get_info() -> bytes:
        return RATCHET_INFO


class ChainKdf(kdf_separate_hmacs.KDF):
    @staticmethod
    def _get_hash_function() -> HashFunction:
        return HashFunction.SHA_256


class MessageAead(aead_aes_hmac.AEAD):
    @staticmethod
    def _get_hash_function() -> HashFunction:
        return HashFunction.SHA_256

    @staticmethod
    def _get_info() -> bytes:
        return MESSAGE_KEYS_INFO


def encode_header(header: Header) -> bytes:
    return header.ratchet_pub + struct.pack(
        ">II", header.previous_sending_chain_length, header.sending_chain_length
    )


class Ratchet(DoubleRatchet):
    @staticmethod
    def _build_associated_data(associated_data: bytes, header: Header) -> bytes:
        # The X3DH AD has a fixed length (66 bytes), so AD || header is unambiguous.
        return associated_data + encode_header(header)


RATCHET_CONFIG = dict(
    diffie_hellman_ratchet_class=RatchetKeys,
    root_chain_kdf=RootKdf,
    message_chain_kdf=ChainKdf,
    message_chain_constant=MESSAGE_CHAIN_CONSTANT,
    dos_protection_threshold=MAX_SKIP,
    max_num_skipped_message_keys=MAX_SKIPPED_KEYS,
    aead=MessageAead,
)


# ---------------------------------------------------------------------------------------------
# Wire formats (crypto/README.md): conversion between the libraries' objects and our bytes.


def message_to_wire(message: EncryptedMessage) -> bytes:
    """`0x01 || ratchet key || PN || N || ciphertext || MAC`; the library's ciphertext already ends
    with the MAC."""
    return bytes([MESSAGE_VERSION]) + encode_header(message.header) + message.ciphertext


def message_from_wire(data: bytes) -> EncryptedMessage:
    if len(data) < 1 + HEADER_LEN + 16 + MAC_LEN or data[0] != MESSAGE_VERSION:
        raise ValueError("not a version-1 ratchet message")
    if (len(data) - 1 - HEADER_LEN - MAC_LEN) % 16 != 0:
        raise ValueError("ciphertext is not a whole number of blocks")
    pn, n = struct.unpack(">II", data[33:41])
    return EncryptedMessage(header=Header(data[1:33], pn, n), ciphertext=data[41:])


@dataclasses.dataclass(frozen=True)
class PreKeyPrefix:
    """What a prekey message carries in front of the ratchet message (raw 32-byte keys)."""

    identity_key: bytes
    base_key: bytes
    signed_prekey_id: int
    one_time_prekey_id: Optional[int]


def prekey_to_wire(prefix: PreKeyPrefix, message: EncryptedMessage) -> bytes:
    used = prefix.one_time_prekey_id is not None
    return (
        bytes([PREKEY_MESSAGE_VERSION])
        + encode_key(prefix.identity_key)
        + encode_key(prefix.base_key)
        + struct.pack(">IBI", prefix.signed_prekey_id, int(used), prefix.one_time_prekey_id or 0)
        + message_to_wire(message)
    )


def prekey_from_wire(data: bytes) -> Tuple[PreKeyPrefix, EncryptedMessage]:
    if len(data) < 76 or data[0] != PREKEY_MESSAGE_VERSION:
        raise ValueError("not a version-1 prekey message")
    spk_id, flag, otk_id = struct.unpack(">IBI", data[67:76])
    if flag not in (0, 1):
        raise ValueError("bad one-time prekey flag")
    prefix = PreKeyPrefix(
        identity_key=decode_key(data[1:34]),
        base_key=decode_key(data[34:67]),
        signed_prekey_id=spk_id,
        one_time_prekey_id=otk_id if flag else None,
    )
    return prefix, message_from_wire(data[76:])
