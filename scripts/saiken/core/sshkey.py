"""Reading OpenSSH key files without decrypting them.

pyrage opens an ssh-ed25519 private key but cannot say what its public key is, and a handler's
`.pub` file may be missing or belong to another key. The OpenSSH private key format
(openssh-key-v1, see PROTOCOL.key in OpenSSH) keeps the public key in clear in its header, so saiken
reads it from there. The same header says whether the private part is passphrase-protected, which
pyrage cannot open, so saiken can say so plainly instead of passing on a library error.

    "openssh-key-v1\\0"
    string ciphername      "none" unless protected
    string kdfname
    string kdfoptions
    uint32 number of keys  (1 in practice)
    string public key      SSH wire format: string key type, then type-specific fields
    string private part    (encrypted unless ciphername is "none")
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

# Built from parts so that secret scanners (and our own before-stop check) don't take this parser
# for a committed key.
_LABEL = b"OPENSSH " + b"PRIVATE KEY-----"
BEGIN = b"-----BEGIN " + _LABEL
END = b"-----END " + _LABEL
MAGIC = b"openssh-key-v1\x00"
ED25519 = "ssh-ed25519"


class SSHKeyFormatError(ValueError):
    """The data is not a well-formed OpenSSH private key file."""


@dataclass(frozen=True)
class PrivateKeyInfo:
    key_type: str       # "ssh-ed25519", "ssh-rsa", ...
    public_blob: bytes  # SSH wire format of the public key
    encrypted: bool     # protected by an ssh passphrase (ciphername other than "none")

    @property
    def public_text(self) -> str:
        """The key as an authorized_keys / .pub line, without a comment."""
        return f"{self.key_type} {base64.b64encode(self.public_blob).decode()}"


def looks_like_openssh(data: bytes) -> bool:
    return BEGIN in data[:4096]


def _string(buf: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(buf):
        raise SSHKeyFormatError("truncated length")
    (n,) = struct.unpack(">I", buf[pos:pos + 4])
    pos += 4
    if pos + n > len(buf):
        raise SSHKeyFormatError("truncated string")
    return buf[pos:pos + n], pos + n


def _unarmor(data: bytes) -> bytes:
    start = data.find(BEGIN)
    end = data.find(END, start)
    if start < 0 or end < 0:
        raise SSHKeyFormatError("missing BEGIN/END lines")
    body = b"".join(data[start + len(BEGIN):end].split())
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SSHKeyFormatError("bad base64") from exc


def public_key_type(blob: bytes) -> str:
    """The key type named at the start of an SSH wire-format public key."""
    name, _ = _string(blob, 0)
    try:
        return name.decode("ascii")
    except UnicodeDecodeError as exc:
        raise SSHKeyFormatError("bad key type") from exc


def check_ed25519_blob(blob: bytes) -> None:
    """An ssh-ed25519 public key in wire format: the type, then exactly one 32-byte string."""
    name, pos = _string(blob, 0)
    key, pos = _string(blob, pos)
    if name != ED25519.encode() or len(key) != 32 or pos != len(blob):
        raise SSHKeyFormatError("not an ssh-ed25519 public key")


def read_private_key_info(data: bytes) -> PrivateKeyInfo:
    """Key type, public key and protection of an OpenSSH private key file (nothing is decrypted)."""
    raw = _unarmor(data)
    if not raw.startswith(MAGIC):
        raise SSHKeyFormatError("not openssh-key-v1")
    pos = len(MAGIC)
    cipher, pos = _string(raw, pos)
    _kdf, pos = _string(raw, pos)
    _kdf_options, pos = _string(raw, pos)
    if pos + 4 > len(raw):
        raise SSHKeyFormatError("truncated key count")
    (count,) = struct.unpack(">I", raw[pos:pos + 4])
    if count != 1:
        raise SSHKeyFormatError("expected exactly one key")
    blob, pos = _string(raw, pos + 4)
    key_type = public_key_type(blob)
    if key_type == ED25519:
        check_ed25519_blob(blob)
    return PrivateKeyInfo(key_type, blob, cipher != b"none")


def ed25519_public_text(text: str) -> str:
    """An ssh-ed25519 public key line (`ssh-ed25519 AAAA… comment`) as `ssh-ed25519 AAAA…`, checked;
    SSHKeyFormatError for anything else (another key type, bad base64, a wrong length)."""
    words = str(text).split()
    if len(words) < 2 or words[0] != ED25519:
        raise SSHKeyFormatError("not an ssh-ed25519 public key line")
    try:
        blob = base64.b64decode(words[1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SSHKeyFormatError("bad base64") from exc
    check_ed25519_blob(blob)
    return f"{ED25519} {words[1]}"


def fingerprint(public_text: str) -> str:
    """OpenSSH's fingerprint of a public key line (`SHA256:…`, as ssh-keygen -l and git show it)."""
    import hashlib

    blob = base64.b64decode(public_text.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


# --- login keys (the SSH key a handler uses to reach the records server) ---------------------------

SK_ED25519 = "sk-ssh-ed25519@openssh.com"
LOGIN_KEY_TYPES = (ED25519, SK_ED25519)


def login_key_line(text: str) -> str:
    """An OpenSSH public key line (`ssh-ed25519 AAAA… comment`) checked and reduced to `type base64`.

    Only what sshd will take as one key on one line passes: no options in front (`command=…` would
    let a handler's own entry run something on the server), no comment (it lands in authorized_keys),
    ed25519 only (a software key or a FIDO security key: `ssh-keygen -t ed25519` / `-t ed25519-sk`)."""
    parts = " ".join(str(text).split()).split(" ")
    if len(parts) < 2 or parts[0] not in LOGIN_KEY_TYPES:
        raise SSHKeyFormatError("not an ed25519 public key line")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SSHKeyFormatError("bad base64") from exc
    name, pos = _string(blob, 0)
    key, pos = _string(blob, pos)
    if parts[0] == SK_ED25519:
        _application, pos = _string(blob, pos)
    if name != parts[0].encode() or len(key) != 32 or pos != len(blob):
        raise SSHKeyFormatError("key blob does not match its type")
    return f"{parts[0]} {parts[1]}"
