"""Reading the age file format without decrypting it.

saiken checks every header itself before pyrage sees the file, for two reasons: `saiken recipients`
and the recipient checks must say what a file's stanzas are without any identity, and pyrage (rage)
accepts a few malformed headers that the age specification and its test vectors reject (a stanza
without its final short body line, an scrypt work factor over 22). Parsing is strict: anything not
in canonical form is a header error, reported in Japanese with where it happened.

Format (age-encryption.org/v1):
    age-encryption.org/v1
    -> TYPE ARG...          one or more stanzas
    BODY                    base64 without padding, 64 columns, ending with a shorter line
    --- MAC                 base64 of 32 bytes
    PAYLOAD                 binary: 16-byte nonce, then the STREAM chunks
An armored file is the whole of that in PEM-like base64 between BEGIN/END lines.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

from saiken.errors import DecryptFailure

VERSION_LINE = b"age-encryption.org/v1"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
MAX_SCRYPT_WORK_FACTOR = 22  # as the age reference implementation; 2**23 takes minutes and GiBs
_ARG = re.compile(rb"^[\x21-\x7e]+$")
_B64_NOPAD = re.compile(rb"^[A-Za-z0-9+/]*$")
_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True)
class Stanza:
    type: str
    args: tuple[str, ...]
    body: bytes

    def describe(self) -> str:
        return describe(self.type, self.args)


def describe(kind: str, args: Sequence[str]) -> str:
    """A stanza's short, secret-free label: the type, and for ssh stanzas the key tag."""
    if kind in ("ssh-ed25519", "ssh-rsa") and args:
        return f"{kind}({args[0]})"
    return kind


@dataclass(frozen=True)
class Header:
    stanzas: tuple[Stanza, ...]
    mac: bytes
    armored: bool
    mac_input: bytes = b""  # the header bytes the MAC covers: up to and including "---"

    @property
    def types(self) -> list[str]:
        return [s.type for s in self.stanzas]


def looks_armored(data: bytes) -> bool:
    return data.lstrip(_WHITESPACE).startswith(ARMOR_BEGIN)


def looks_like_age(data: bytes) -> bool:
    """Cheap test used by the plaintext check: binary age or armored age, nothing else."""
    return data.startswith(VERSION_LINE + b"\n") or looks_armored(data)


def _b64_canonical(text: bytes, *, padded: bool) -> bytes:
    try:
        raw = base64.b64decode(text + (b"" if padded else b"=" * (-len(text) % 4)), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(str(exc)) from exc
    again = base64.b64encode(raw)
    if not padded:
        again = again.rstrip(b"=")
    if again != text:
        raise ValueError("non-canonical base64")
    return raw


def dearmor(data: bytes) -> bytes:
    """Strictly decode an armored age file; whitespace is allowed only outside the armor."""
    def fail(why: str) -> DecryptFailure:
        return DecryptFailure("armor", f"ASCII 形式（armor）の age ファイルが壊れています（{why}）。")

    text = data.strip(_WHITESPACE)
    lines = text.split(b"\n")
    if all(line.endswith(b"\r") for line in lines[:-1]):  # CRLF files are allowed, consistently
        lines = [line[:-1] for line in lines[:-1]] + [lines[-1]]
    if len(lines) < 2 or lines[0] != ARMOR_BEGIN:
        raise fail("開始行がありません")
    if lines[-1] != ARMOR_END:
        raise fail("終了行がありません")
    body = lines[1:-1]
    if not body:
        return b""
    for i, line in enumerate(body):
        last = i == len(body) - 1
        if len(line) > 64 or (not last and len(line) != 64) or (last and not line):
            raise fail(f"{i + 2} 行目の長さが不正です")
    joined = b"".join(body)
    try:
        return _b64_canonical(joined, padded=True)
    except ValueError:
        raise fail("base64 として読めません") from None


def parse(data: bytes) -> tuple[Header, bytes]:
    """Parse and validate a header; returns it and the binary file (armor removed).

    The last few results are remembered: the checks look at one file's header several times in a
    row (plaintext, recipients, decrypt). Only successes are kept (a failure raises every time);
    the result is immutable, and equal bytes give an equal result."""
    return _parse_remembered(data) if type(data) is bytes else _parse(bytes(data))


@functools.lru_cache(maxsize=8)
def _parse_remembered(data: bytes) -> tuple[Header, bytes]:
    return _parse(data)


def _parse(data: bytes) -> tuple[Header, bytes]:
    armored = looks_armored(data)
    binary = dearmor(data) if armored else data
    if not binary.startswith(VERSION_LINE + b"\n"):
        if not armored and b"begin age" in data[:256].lower():
            raise DecryptFailure("armor", "ASCII 形式（armor）の age ファイルの開始行が不正です。")
        if binary.startswith(b"age-encryption.org/"):
            raise DecryptFailure("header", "対応していない age 形式のバージョンです。",
                                 hint="age v1 形式で暗号化し直してください。")
        raise DecryptFailure("header", "age 形式の暗号化ファイルではありません（先頭行が違います）。")
    pos = len(VERSION_LINE) + 1
    stanzas: list[Stanza] = []

    def header_error(why: str) -> DecryptFailure:
        return DecryptFailure("header", f"age ファイルのヘッダが不正です（{why}）。")

    def next_line() -> bytes:
        nonlocal pos
        end = binary.find(b"\n", pos)
        if end < 0:
            raise header_error("ヘッダが途中で終わっています")
        line = binary[pos:end]
        pos = end + 1
        return line

    line = next_line()
    while line.startswith(b"-> "):
        parts = line[3:].split(b" ")
        if not parts or not all(_ARG.match(p) for p in parts):
            raise header_error("受信者スタンザの引数が不正です")
        body = b""
        while True:
            bl = next_line()
            if len(bl) > 64 or not _B64_NOPAD.match(bl):
                raise header_error("スタンザ本体が不正です")
            body += bl
            if len(bl) < 64:
                break
        try:
            raw = _b64_canonical(body, padded=False)
        except ValueError:
            raise header_error("スタンザ本体の base64 が正規形ではありません") from None
        stanza = Stanza(parts[0].decode(), tuple(p.decode() for p in parts[1:]), raw)
        _check_stanza(stanza, header_error)
        stanzas.append(stanza)
        line = next_line()
    if not stanzas:
        raise header_error("受信者スタンザがありません")
    if not line.startswith(b"--- "):
        raise header_error("MAC 行がありません")
    try:
        mac = _b64_canonical(line[4:], padded=False)
    except ValueError:
        raise header_error("MAC が不正です") from None
    if len(mac) != 32:
        raise header_error("MAC の長さが不正です")
    if any(s.type == "scrypt" for s in stanzas) and len(stanzas) != 1:
        raise header_error("パスフレーズ（scrypt）スタンザは単独でなければなりません")
    mac_line_start = pos - len(line) - 1
    return Header(tuple(stanzas), mac, armored, binary[:mac_line_start + 3]), binary


def _check_stanza(stanza: Stanza, header_error) -> None:  # type: ignore[no-untyped-def]
    # Only what rage does not already enforce; it validates the rest when it decrypts.
    if stanza.type == "scrypt" and len(stanza.args) == 2 and stanza.args[1].isdigit():
        if int(stanza.args[1]) > MAX_SCRYPT_WORK_FACTOR:
            raise header_error(f"scrypt の作業係数 {stanza.args[1]} が上限 {MAX_SCRYPT_WORK_FACTOR} を超えています")


def ssh_key_tag(wire_public_key: bytes) -> str:
    """The 4-byte tag age puts in an ssh stanza: SHA-256 of the SSH wire-format key."""
    return base64.b64encode(hashlib.sha256(wire_public_key).digest()[:4]).decode().rstrip("=")
