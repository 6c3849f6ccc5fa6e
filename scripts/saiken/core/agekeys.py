"""age keys as the bytes the age primitives work on.

pyrage reads and writes keys as text but never hands out their bytes; saiken's own header code
(saiken.core.stanzas) needs them: the 32-byte X25519 point of an `age1…` recipient, the scalar of an
`AGE-SECRET-KEY-1…` identity, and for an ssh-ed25519 key its SSH wire form (hashed into the stanza
tag and the tweak) and its Montgomery (X25519) form. Bech32 is decoded by the reference
implementation (package `bech32`), the OpenSSH private key by `cryptography`, the Edwards-to-Montgomery
map by libsodium (PyNaCl), as age's specification defines each of them.
"""

from __future__ import annotations

import base64
import hashlib

import bech32
import nacl.bindings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

X25519_HRP = "age"
SECRET_HRP = "age-secret-key-"
SSH_ED25519 = "ssh-ed25519"


class KeyFormatError(ValueError):
    """Not a key of the expected form (the caller words the message)."""


def _bech32_bytes(text: str, hrp: str) -> bytes:
    found_hrp, data = bech32.bech32_decode(text)
    if found_hrp != hrp or data is None:
        raise KeyFormatError("not a bech32 key of the expected kind")
    raw = bech32.convertbits(data, 5, 8, False)
    if raw is None or len(raw) != 32:
        raise KeyFormatError("not 32 bytes")
    return bytes(raw)


def x25519_public(text: str) -> bytes:
    """The 32-byte X25519 public key of an `age1…` recipient."""
    return _bech32_bytes(text, X25519_HRP)


def x25519_secret(text: str) -> bytes:
    """The 32-byte X25519 scalar of an `AGE-SECRET-KEY-1…` identity line."""
    return _bech32_bytes(text, SECRET_HRP)


def ssh_wire(text: str) -> bytes:
    """The SSH wire form of an `ssh-ed25519 AAAA…` public key line (comment ignored)."""
    parts = text.split()
    if len(parts) < 2 or parts[0] != SSH_ED25519:
        raise KeyFormatError("not an ssh-ed25519 key")
    return base64.b64decode(parts[1], validate=True)


def ssh_montgomery(wire: bytes) -> bytes:
    """The X25519 form of an ssh-ed25519 public key (the Edwards point's Montgomery u)."""
    if len(wire) < 32:
        raise KeyFormatError("short ssh-ed25519 key")
    try:
        return nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(wire[-32:])
    except Exception:
        raise KeyFormatError("not a point of Ed25519") from None


def ssh_secret_scalar(pem: bytes) -> bytes:
    """The X25519 scalar age uses for an ssh-ed25519 private key: SHA-512 of its seed, first half."""
    try:
        key = serialization.load_ssh_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise KeyFormatError("not an unprotected OpenSSH private key") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyFormatError("not an ssh-ed25519 private key")
    return hashlib.sha512(key.private_bytes_raw()).digest()[:32]
