"""Writing age v1 files whose recipient stanzas can be proven (saiken.core.stanzas).

The file is standard age (age-encryption.org/v1), so the age CLI, rage and pyrage open it:

    age-encryption.org/v1
    -> X25519 <ephemeral share>             one stanza per recipient, derived from the file key
    <body: the wrapped file key, base64, 64 columns, a last line shorter than 64 (maybe empty)>
    --- <HMAC-SHA256 of the header up to "---", under HKDF(file key, "header")>
    <16-byte nonce><STREAM: ChaCha20-Poly1305 chunks of 64 KiB, key HKDF(file key, nonce, "payload"),
                   nonce = 11-byte big-endian counter || last-chunk flag>

Only the layout is written here; every primitive is `cryptography`'s.
"""

from __future__ import annotations

import base64
import secrets
from typing import Iterable, Sequence

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from saiken.core import agefile, stanzas

CHUNK_SIZE = 64 * 1024
NONCE_SIZE = 16
COLUMNS = 64


def encrypt(plaintext: bytes, recipient_keys: Sequence[str], *, armored: bool = False) -> bytes:
    """`plaintext` for the recipients (`age1…` / `ssh-ed25519 …` texts), under a fresh file key."""
    file_key = secrets.token_bytes(stanzas.FILE_KEY_SIZE)
    header = encode_header([stanzas.wrap(file_key, stanzas.target(k)) for k in recipient_keys], file_key)
    nonce = secrets.token_bytes(NONCE_SIZE)
    data = header + nonce + b"".join(stream(stanzas.hkdf(file_key, nonce, b"payload"), plaintext))
    return armor(data) if armored else data


def encode_stanza(stanza: agefile.Stanza) -> bytes:
    line = b"-> " + " ".join((stanza.type, *stanza.args)).encode("ascii") + b"\n"
    body = base64.b64encode(stanza.body).rstrip(b"=")
    lines = [body[i:i + COLUMNS] for i in range(0, len(body), COLUMNS)]
    if not lines or len(lines[-1]) == COLUMNS:
        lines.append(b"")  # the body always ends with a line shorter than 64 columns
    return line + b"".join(part + b"\n" for part in lines)


def encode_header(stanza_list: Iterable[agefile.Stanza], file_key: bytes) -> bytes:
    head = agefile.VERSION_LINE + b"\n" + b"".join(encode_stanza(s) for s in stanza_list) + b"---"
    return head + b" " + stanzas.b64(stanzas.header_mac(file_key, head)).encode("ascii") + b"\n"


def stream(payload_key: bytes, plaintext: bytes) -> Iterable[bytes]:
    """age's STREAM: full 64 KiB chunks, then a last one (flagged) that is empty only when all is."""
    aead = ChaCha20Poly1305(payload_key)
    count = max(1, -(-len(plaintext) // CHUNK_SIZE))
    for n in range(count):
        last = n == count - 1
        nonce = n.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        yield aead.encrypt(nonce, plaintext[n * CHUNK_SIZE:(n + 1) * CHUNK_SIZE], None)


def armor(data: bytes) -> bytes:
    """The ASCII armor age writes: strict PEM-like base64, 64 columns, padded."""
    text = base64.b64encode(data)
    lines = [text[i:i + COLUMNS] for i in range(0, len(text), COLUMNS)]
    return b"\n".join([agefile.ARMOR_BEGIN, *lines, agefile.ARMOR_END]) + b"\n"
