"""Recipient stanzas that anyone holding the file key can recompute, and the proof built on them.

An age X25519 stanza names no key, so a record's header alone cannot say whom it was written for.
saiken therefore writes every X25519 and ssh-ed25519 stanza with its ephemeral secret derived
from the file key and the recipient's public key instead of drawn at random:

    ephemeral = HKDF-SHA256(ikm = file key, salt = EPHEMERAL_SALT, info = type || 0x00 || public key)

(the public key as age encodes it: the 32-byte X25519 point, or the SSH wire form of an ssh-ed25519
key). Everything else is age's own recipe (age-encryption.org/v1), so the file stays plain age.
Whoever can open the record learns the file key, recomputes the stanza every active handler
should have, and compares them byte for byte with the header: an extra, missing or substituted
stanza shows. The file key is fresh and random per write (16 bytes), so the derived secret is
as unpredictable as a random one to anyone without it; a holder of the file key, who could read
the record anyway, learns nothing new from it.

The primitives come from well-kept libraries: X25519 from libsodium (PyNaCl: twice as fast as
OpenSSL's through `cryptography` here, and a proof computes two per handler per record), HKDF-SHA256,
ChaCha20-Poly1305 and HMAC-SHA256 from `cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from saiken.core import agefile, agekeys

X25519 = "X25519"
SSH_ED25519 = "ssh-ed25519"
LABELS = {X25519: b"age-encryption.org/v1/X25519", SSH_ED25519: b"age-encryption.org/v1/ssh-ed25519"}
# saiken's own domain: no age implementation derives anything under this salt
EPHEMERAL_SALT = b"saiken/v1/provable-stanza-ephemeral"
FILE_KEY_SIZE = 16
_ZERO_NONCE = bytes(12)


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """age's header MAC: HMAC-SHA256 under HKDF(file key, "header") over the header up to "---"."""
    mac = crypto_hmac.HMAC(hkdf(file_key, b"", b"header"), hashes.SHA256())
    mac.update(mac_input)
    return mac.finalize()


def x25519(scalar: bytes, point: bytes) -> bytes:
    """RFC 7748 X25519 (the scalar clamped); ValueError when the result is all zero (a low-order point)."""
    try:
        return nacl.bindings.crypto_scalarmult(scalar, point)
    except nacl.exceptions.CryptoError:
        raise ValueError("low-order point") from None


def x25519_base(scalar: bytes) -> bytes:
    return nacl.bindings.crypto_scalarmult_base(scalar)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


# --- recipients (who a stanza is written for) and holders (who opens one) ------------------------

@dataclass(frozen=True)
class Target:
    """A recipient's public key in the forms the stanza recipe needs."""

    kind: str
    encoded: bytes  # X25519: the point; ssh-ed25519: the SSH wire form (what the derivation binds to)
    point: bytes  # the X25519 (Montgomery) public key
    tag: str | None = None  # ssh-ed25519: the 4-byte key tag in the stanza
    tweak: bytes | None = None  # ssh-ed25519: age's per-key tweak (a scalar)


@functools.lru_cache(maxsize=256)
def target(key_text: str) -> Target:
    """The recipient `age1…` or `ssh-ed25519 AAAA…` (as policies/handlers.yaml holds it)."""
    if key_text.startswith("age1"):
        point = agekeys.x25519_public(key_text)
        return Target(X25519, point, point)
    wire = agekeys.ssh_wire(key_text)
    tweak = hkdf(b"", wire, LABELS[SSH_ED25519])
    return Target(SSH_ED25519, wire, agekeys.ssh_montgomery(wire), agefile.ssh_key_tag(wire), tweak)


@dataclass(frozen=True)
class Holder:
    """An identity as the header code uses it: its scalar and what its stanzas look like."""

    public: str  # the key as policies/handlers.yaml writes it
    kind: str
    secret: bytes = field(repr=False)  # the X25519 scalar
    point: bytes = b""  # our X25519 public key (the salt's second half)
    tag: str | None = None
    tweak: bytes | None = None


@functools.lru_cache(maxsize=32)
def holder(public: str, scalar: bytes) -> Holder:
    """`public` is the identity's recipient text, `scalar` its X25519 scalar (saiken.core.agekeys)."""
    if public.startswith("age1"):
        return Holder(public, X25519, scalar, x25519_base(scalar))
    t = target(public)
    return Holder(public, SSH_ED25519, scalar, t.point, t.tag, t.tweak)


# --- wrapping and unwrapping ------------------------------------------------------------------------

def ephemeral(file_key: bytes, t: Target) -> bytes:
    """The stanza's ephemeral secret, derived (not drawn): see the module's docstring."""
    return hkdf(file_key, EPHEMERAL_SALT, t.kind.encode() + b"\0" + t.encoded)


def _wrap_key(kind: str, shared: bytes, ephemeral_share: bytes, recipient: bytes, tweak: bytes | None) -> bytes:
    if tweak is not None:
        shared = x25519(tweak, shared)
    return hkdf(shared, ephemeral_share + recipient, LABELS[kind])


def _stanza(t: Target, share: bytes, body: bytes) -> agefile.Stanza:
    return agefile.Stanza(t.kind, (b64(share),) if t.kind == X25519 else (str(t.tag), b64(share)), body)


def wrap(file_key: bytes, t: Target) -> agefile.Stanza:
    """The one stanza saiken writes for `t` under `file_key` (the same bytes every time)."""
    eph = ephemeral(file_key, t)
    share = x25519_base(eph)
    key = _wrap_key(t.kind, x25519(eph, t.point), share, t.point, t.tweak)
    return _stanza(t, share, ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None))


def _point_arg(arg: str) -> bytes | None:
    try:
        raw = base64.b64decode(arg + "=" * (-len(arg) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def unwrap(stanza: agefile.Stanza, h: Holder) -> bytes | None:
    """The file key if `stanza` is `h`'s and opens; None otherwise (age's unwrap, with no error)."""
    if stanza.type != h.kind or len(stanza.body) != FILE_KEY_SIZE + 16:
        return None
    if h.kind == X25519 and len(stanza.args) != 1:
        return None
    if h.kind == SSH_ED25519 and (len(stanza.args) != 2 or stanza.args[0] != h.tag):
        return None
    theirs = _point_arg(stanza.args[-1])
    if theirs is None:
        return None
    try:
        key = _wrap_key(h.kind, x25519(h.secret, theirs), theirs, h.point, h.tweak)
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, stanza.body, None)
    except (InvalidTag, ValueError):  # ValueError: a low-order point gives an all-zero secret
        return None


def open_file_key(header: agefile.Header, holders: Sequence[Holder]) -> tuple[bytes, Holder] | None:
    """The file key from the first stanza one of `holders` opens (as age tries them), or None."""
    opened = _open(header, holders)
    return None if opened is None else opened[:2]


def _open(header: agefile.Header, holders: Sequence[Holder]) -> tuple[bytes, Holder, agefile.Stanza] | None:
    for stanza in header.stanzas:
        for h in holders:
            file_key = unwrap(stanza, h)
            if file_key is not None:
                return file_key, h, stanza
    return None


def _expected(file_key: bytes, key_text: str, h: Holder, opened: agefile.Stanza) -> agefile.Stanza:
    """`wrap`, with one X25519 saved for the holder's own key: its stanza opened under the file key,
    and a ChaCha20-Poly1305 body that opens under a key is the one encrypting the same file key
    under it gives (fixed nonce), so only the ephemeral share is left to compare."""
    t = target(key_text)
    if key_text == h.public and _stanza(t, x25519_base(ephemeral(file_key, t)), opened.body) == opened:
        return opened
    return wrap(file_key, t)


# --- the proof ------------------------------------------------------------------------------------

PROVEN = "proven"  # exactly the expected stanzas, each once
UNOPENED = "unopened"  # no holder's stanza opens: nothing can be proven with these keys
BAD_MAC = "bad-mac"  # the header is not what the file key was written with
UNPROVABLE = "unprovable"  # none of the expected stanzas: written by age, pyrage or an older saiken
MISMATCH = "mismatch"  # some expected stanzas, but also extra, missing or substituted ones


@dataclass(frozen=True)
class Proof:
    state: str
    missing: tuple[str, ...] = ()  # handler ids whose stanza is not in the file
    extra: int = 0  # stanzas that are no active handler's
    opened_by: str = ""  # the holder's public key whose stanza gave the file key

    @property
    def ok(self) -> bool:
        return self.state in (PROVEN, UNOPENED)


def prove(header: agefile.Header, holders: Sequence[Holder], handlers: Sequence[tuple[str, str]]) -> Proof:
    """Whether the header's stanzas are exactly those of `handlers` ((id, public key text) of the
    active handlers), order aside and count exact, as far as `holders` can open the file."""
    opened = _open(header, holders)
    if opened is None:
        return Proof(UNOPENED)
    file_key, h, stanza = opened
    if not hmac.compare_digest(header_mac(file_key, header.mac_input), header.mac):
        return Proof(BAD_MAC, opened_by=h.public)
    have = Counter(header.stanzas)
    missing: list[str] = []
    for handler_id, key_text in handlers:
        expected = _expected(file_key, key_text, h, stanza)
        if have[expected]:
            have[expected] -= 1
        else:
            missing.append(handler_id)
    extra = sum(have.values())
    if not missing and not extra:
        return Proof(PROVEN, opened_by=h.public)
    state = UNPROVABLE if handlers and len(missing) == len(handlers) else MISMATCH
    return Proof(state, tuple(missing), extra, h.public)
