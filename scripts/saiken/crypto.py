"""age encryption for saiken: identities, recipients, encrypt and decrypt.

Every decrypt goes through `decrypt()`: the header is parsed strictly by `agefile` first, then
pyrage opens the file, and every failure becomes a `DecryptFailure` with a Japanese message of the
right kind – never a traceback, never partial plaintext.

Identities come from SAIKEN_IDENTITY (one or more paths joined by ':') or from the default file
under the user's config dir. An identity file is either age's text format (AGE-SECRET-KEY-1 lines),
an OpenSSH ed25519 private key, or either of those encrypted with a passphrase (age scrypt, as
`age -p` writes it); the passphrase is read from SAIKEN_PASSPHRASE_FILE or asked for on the terminal.
"""

from __future__ import annotations

import base64
import getpass
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import platformdirs
import pyrage
from pyrage import passphrase as age_passphrase
from pyrage import ssh as age_ssh
from pyrage import x25519 as age_x25519

from saiken import agefile
from saiken.errors import DecryptFailure, SaikenError

Identity = Union[age_x25519.Identity, age_ssh.Identity]
Recipient = Union[age_x25519.Recipient, age_ssh.Recipient]

ENV_IDENTITY = "SAIKEN_IDENTITY"
ENV_PASSPHRASE_FILE = "SAIKEN_PASSPHRASE_FILE"
PQ_PREFIX = "AGE-SECRET-KEY-PQ-1"
PLUGIN_PREFIX = "AGE-PLUGIN-"


def default_identity_path() -> Path:
    return Path(platformdirs.user_config_dir("saiken")) / "identity.txt"


# --- recipients ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecipientKey:
    """A public key as written in policies/handlers.yaml, parsed and classified."""

    text: str
    kind: str  # "X25519" or "ssh-ed25519"
    recipient: Recipient = field(compare=False, repr=False)
    ssh_tag: str | None = None

    @classmethod
    def parse(cls, text: str, *, where: str | None = None) -> "RecipientKey":
        text = " ".join(text.split())
        if text.startswith("age1"):
            try:
                return cls(text, "X25519", age_x25519.Recipient.from_str(text))
            except Exception:
                raise SaikenError(f"age 公開鍵として読めません: {text[:16]}…", where=where,
                                  hint="`saiken keygen` が表示した age1… の公開鍵をそのまま貼ってください。") from None
        if text.startswith("ssh-ed25519 "):
            parts = text.split(" ")
            try:
                wire = base64.b64decode(parts[1], validate=True)
                key = " ".join(parts[:2])  # comments are not part of the key
                return cls(key, "ssh-ed25519", age_ssh.Recipient.from_str(key), agefile.ssh_key_tag(wire))
            except Exception:
                raise SaikenError("ssh-ed25519 公開鍵として読めません。", where=where,
                                  hint="~/.ssh/id_ed25519.pub の 1 行をそのまま貼ってください。") from None
        raise SaikenError("対応していない公開鍵の形式です（age1… または ssh-ed25519 のみ）。", where=where)


# --- identities ---------------------------------------------------------------------------------

@dataclass
class LoadedIdentity:
    path: Path
    identity: Identity
    public: str  # recipient string, for matching against policies/handlers.yaml


def _read_passphrase(path: Path, *, confirm: bool = False) -> str:
    pf = os.environ.get(ENV_PASSPHRASE_FILE)
    if pf:
        try:
            return Path(pf).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise SaikenError(f"{ENV_PASSPHRASE_FILE} のファイルを読めません（{exc.strerror}）。", where=pf) from None
    try:
        first = getpass.getpass(f"{path} のパスフレーズ: ")
        if confirm and getpass.getpass("もう一度入力してください: ") != first:
            raise SaikenError("パスフレーズが一致しません。", hint="もう一度やり直してください。")
    except (EOFError, OSError):
        raise SaikenError("パスフレーズを入力できません（端末がありません）。", where=str(path),
                          hint=f"{ENV_PASSPHRASE_FILE} にパスフレーズを書いたファイルを指定してください。") from None
    if not first:
        raise SaikenError("パスフレーズが空です。")
    return first


def _unlock(path: Path, data: bytes) -> bytes:
    """Decrypt a passphrase-protected identity file (an age scrypt file)."""
    header, binary = agefile.parse(data)
    if header.types != ["scrypt"]:
        raise SaikenError("鍵ファイルが age で暗号化されていますが、パスフレーズ形式ではありません。", where=str(path))
    secret = _read_passphrase(path)
    try:
        return age_passphrase.decrypt(binary, secret)
    except pyrage.DecryptError:
        raise SaikenError("パスフレーズが違います。", where=str(path),
                          hint=f"正しいパスフレーズを入力するか、{ENV_PASSPHRASE_FILE} の内容を確かめてください。") from None


def parse_identities(path: Path, data: bytes) -> list[LoadedIdentity]:
    """Identities in one file's content (already unlocked)."""
    text = data.decode("utf-8", errors="replace")
    if "-----BEGIN OPENSSH PRIVATE KEY-----" in text:
        try:
            ident = age_ssh.Identity.from_buffer(data)
        except Exception:
            raise SaikenError("SSH 秘密鍵を読めません（パスフレーズ付きの SSH 鍵には未対応です）。", where=str(path),
                              hint="`ssh-keygen -p -N '' -f 鍵` で外すか、`saiken keygen --passphrase` の鍵を使ってください。") from None
        pub_path = path.with_name(path.name + ".pub")
        public = pub_path.read_text().strip() if pub_path.exists() else ""
        return [LoadedIdentity(path, ident, " ".join(public.split(" ")[:2]))]
    found: list[LoadedIdentity] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(PQ_PREFIX):
            raise SaikenError("ポスト量子ハイブリッド鍵（mlkem768x25519）には saiken はまだ対応していません。",
                              where=f"{path}:{n}", hint="`saiken keygen` で X25519 の鍵を作ってください。")
        if line.startswith(PLUGIN_PREFIX):
            raise SaikenError("age プラグインの鍵には対応していません。", where=f"{path}:{n}")
        try:
            ident = age_x25519.Identity.from_str(line)
        except Exception:
            raise SaikenError("age の秘密鍵として読めない行があります。", where=f"{path}:{n}",
                              hint="`saiken keygen` で作った鍵ファイルを指定してください。") from None
        found.append(LoadedIdentity(path, ident, str(ident.to_public())))
    if not found:
        raise SaikenError("鍵ファイルに秘密鍵がありません。", where=str(path))
    return found


def load_identity_file(path: Path) -> list[LoadedIdentity]:
    try:
        st = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        raise SaikenError("鍵ファイルがありません。", where=str(path),
                          hint=f"`saiken keygen` で作るか、{ENV_IDENTITY} に鍵ファイルのパスを指定してください。") from None
    except OSError as exc:
        raise SaikenError(f"鍵ファイルを読めません（{exc.strerror}）。", where=str(path)) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO) and os.name == "posix":
        raise SaikenError("鍵ファイルを本人以外も読める設定になっています。", where=str(path),
                          hint=f"chmod 600 {path}")
    if agefile.looks_like_age(data):
        data = _unlock(path, data)
    return parse_identities(path, data)


def identity_paths() -> list[Path]:
    env = os.environ.get(ENV_IDENTITY)
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [default_identity_path()]


def load_identities(paths: list[Path] | None = None) -> list[LoadedIdentity]:
    out: list[LoadedIdentity] = []
    for p in paths or identity_paths():
        out.extend(load_identity_file(p))
    return out


def generate_identity() -> tuple[str, str]:
    """A new X25519 identity: (secret key line, public key)."""
    ident = age_x25519.Identity.generate()
    return str(ident), str(ident.to_public())


def identity_file_text(secret: str, public: str, created: str) -> str:
    return f"# created: {created}\n# public key: {public}\n{secret}\n"


def protect_with_passphrase(text: bytes, secret: str) -> bytes:
    return age_passphrase.encrypt(text, secret, armored=True)


# --- encrypt / decrypt ----------------------------------------------------------------------------

def encrypt(plaintext: bytes, recipients: list[RecipientKey], *, armored: bool = False) -> bytes:
    if not recipients:
        raise SaikenError("暗号化の宛先（有効な取扱者）がいません。", where="policies/handlers.yaml",
                          hint="`saiken handler add` で取扱者を登録してください。")
    return pyrage.encrypt(plaintext, [r.recipient for r in recipients], armored=armored)


_RAGE_KINDS = (
    ("No matching keys", "no match"),
    ("Header MAC", "hmac"),
    ("Decryption failed", "no match"),  # scrypt: wrong passphrase or tampered stanza
    ("decryption error", "payload"),
    ("truncated", "payload"),
    ("STREAM chunk", "payload"),
    ("last chunk has been processed", "payload"),
    ("armor", "armor"),
)

_KIND_TEXT = {
    "no match": "お手元の鍵ではこのファイルを開けません（宛先に含まれていません）。",
    "hmac": "ヘッダの改ざん検知符号（MAC）が一致しません。ファイルが改ざんされたか壊れています。",
    "payload": "本文が壊れているか途中で切れています（改ざん・破損の可能性）。",
    "armor": "ASCII 形式（armor）の age ファイルが壊れています。",
    "header": "age ファイルのヘッダが不正です。",
}


def classify_rage_error(exc: Exception) -> str:
    text = str(exc)
    for needle, kind in _RAGE_KINDS:
        if needle in text:
            return kind
    return "header"


def decrypt(data: bytes, identities: list[LoadedIdentity], *, where: str | None = None,
            max_size: int | None = None) -> bytes:
    if max_size is not None and len(data) > max_size:
        raise DecryptFailure("header", f"ファイルが大きすぎます（{len(data)} バイト、上限 {max_size}）。", where=where)
    try:
        header, binary = agefile.parse(data)
    except DecryptFailure as exc:
        exc.where = where
        raise
    if "scrypt" in header.types:
        raise DecryptFailure("no match", "パスフレーズで暗号化されたファイルです。記録は取扱者の鍵で暗号化されている必要があります。",
                             where=where)
    if not identities:
        raise SaikenError("復号に使う鍵がありません。", hint=f"{ENV_IDENTITY} を設定してください。")
    try:
        return pyrage.decrypt(binary, [i.identity for i in identities])
    except Exception as exc:  # pyrage raises DecryptError and, for odd inputs, others
        kind = classify_rage_error(exc)
        message = _KIND_TEXT[kind]
        hint = None
        if kind == "no match":
            if any(t == "mlkem768x25519" for t in header.types):
                message += "（ポスト量子 mlkem768x25519 宛てのファイルには saiken は未対応です）"
            hint = "取扱者に指定されているか確認し、`saiken rekey` を取扱責任者に依頼してください。"
        raise DecryptFailure(kind, message, where=where, hint=hint) from None


def decrypt_with_passphrase(data: bytes, secret: str, *, where: str | None = None) -> bytes:
    """Open an scrypt-encrypted age file (media packages, protected identities)."""
    try:
        header, binary = agefile.parse(data)
    except DecryptFailure as exc:
        exc.where = where
        raise
    if header.types != ["scrypt"]:
        raise DecryptFailure("no match", "パスフレーズ形式の age ファイルではありません。", where=where)
    try:
        return age_passphrase.decrypt(binary, secret)
    except Exception as exc:
        kind = classify_rage_error(exc)
        text = "パスフレーズが違います。" if kind == "no match" else _KIND_TEXT[kind]
        raise DecryptFailure(kind, text, where=where) from None
