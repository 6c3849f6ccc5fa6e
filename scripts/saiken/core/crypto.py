"""age encryption for saiken: identities, recipients, encrypt and decrypt.

Every record is written by `encrypt()`, saiken's own age writer (saiken.core.agewrite): standard
age whose stanzas a recipient can prove (saiken.core.stanzas). Passphrase (scrypt) files are
pyrage's. Every decrypt goes through `decrypt()`: the header is parsed strictly by `agefile` first,
then pyrage opens the file, and every failure becomes a `DecryptFailure` with a Japanese message of
the right kind – never a traceback, never partial plaintext.

Identities come from SAIKEN_IDENTITY (one or more paths joined by ':') or from the default file
under the user's config dir. An identity file is either age's text format (AGE-SECRET-KEY- lines),
an OpenSSH ed25519 private key, or either of those encrypted with a passphrase (age scrypt, as
`age -p` writes it); the passphrase is read from SAIKEN_PASSPHRASE_FILE or asked for on the terminal.
"""

from __future__ import annotations

import base64
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import pyrage
from pyrage import passphrase as age_passphrase
from pyrage import ssh as age_ssh
from pyrage import x25519 as age_x25519

from saiken.core import agefile, agekeys, agewrite, passphrases, sshkey
from saiken.errors import DecryptFailure, SaikenError, os_reason

Identity = Union[age_x25519.Identity, age_ssh.Identity]
Recipient = Union[age_x25519.Recipient, age_ssh.Recipient]

ENV_IDENTITY = "SAIKEN_IDENTITY"
ENV_PASSPHRASE_FILE = passphrases.ENV_PASSPHRASE_FILE
PQ_PREFIX = "AGE-SECRET-KEY-PQ-1"
PLUGIN_PREFIX = "AGE-PLUGIN-"


def default_identity_path() -> Path:
    import platformdirs  # here: its import costs every hook run, and only this needs it

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
        text = " ".join(str(text).split())
        if text.startswith(("age1pq1", "age1tag1", "age1tagpq1")):
            raise SaikenError("ポスト量子・ハードウェア鍵の age 公開鍵には saiken はまだ対応していません。", where=where,
                              hint="`saiken keygen` で作った X25519 の公開鍵（age1…）を使ってください。")
        if text.startswith("age1"):
            return cls._parse_x25519(text, where)
        if text.startswith("ssh-ed25519 "):
            return cls._parse_ssh(text, where)
        if text.startswith(("ssh-rsa ", "ecdsa-sha2-", "sk-ssh-", "ssh-dss ")):
            raise SaikenError(f"{text.split(' ')[0]} の SSH 鍵には対応していません（ssh-ed25519 のみ）。", where=where,
                              hint="`ssh-keygen -t ed25519` で鍵を作るか、`saiken keygen` を使ってください。")
        if text.startswith(("AGE-SECRET-KEY-", "-----BEGIN")):
            raise SaikenError("秘密鍵が渡されています。公開鍵だけを渡してください（秘密鍵は誰にも渡さないこと）。",
                              where=where, hint="`saiken keygen` が表示した age1… の公開鍵を使ってください。")
        raise SaikenError("対応していない公開鍵の形式です（age1… または ssh-ed25519 のみ）。", where=where)

    @classmethod
    def _parse_x25519(cls, text: str, where: str | None) -> "RecipientKey":
        try:
            if " " in text:
                raise ValueError("more than one word")
            return cls(text, "X25519", age_x25519.Recipient.from_str(text))
        except Exception:
            raise SaikenError(f"age 公開鍵として読めません: {text[:16]}…", where=where,
                              hint="`saiken keygen` が表示した age1… の公開鍵を 1 つだけ、そのまま貼ってください。") from None

    @classmethod
    def _parse_ssh(cls, text: str, where: str | None) -> "RecipientKey":
        parts = text.split(" ")
        key = " ".join(parts[:2])  # the comment is not part of the key
        try:
            wire = base64.b64decode(parts[1], validate=True)
            sshkey.check_ed25519_blob(wire)
            return cls(key, "ssh-ed25519", age_ssh.Recipient.from_str(key), agefile.ssh_key_tag(wire))
        except Exception:
            raise SaikenError("ssh-ed25519 公開鍵として読めません。", where=where,
                              hint="~/.ssh/id_ed25519.pub の 1 行をそのまま貼ってください。") from None


# --- identities ---------------------------------------------------------------------------------

@dataclass
class LoadedIdentity:
    path: Path
    identity: Identity
    public: str  # recipient string, for matching against policies/handlers.yaml
    scalar: bytes = field(default=b"", repr=False)  # its X25519 scalar, for saiken's own header code


MAX_IDENTITY_FILE_BYTES = 64 * 1024


def _read_passphrase(path: Path, *, confirm: bool = False) -> str:
    """Kept for callers of the first version; see saiken.core.passphrases.read."""
    return passphrases.read(str(path), new=confirm)


def _unlock(path: Path, data: bytes) -> bytes:
    """Decrypt a passphrase-protected identity file (an age scrypt file, as `age -p` writes it)."""
    try:
        header, _ = agefile.parse(data)
    except DecryptFailure as exc:
        raise SaikenError(f"鍵ファイルが壊れています: {exc.message}", where=str(path)) from None
    if header.types != ["scrypt"]:
        raise SaikenError("鍵ファイルが age で暗号化されていますが、パスフレーズ形式ではありません。", where=str(path),
                          hint="`saiken keygen --passphrase` で作った鍵ファイルを指定してください。")
    try:
        return decrypt_with_passphrase(data, passphrases.read(str(path)), where=str(path))
    except DecryptFailure as exc:
        if exc.kind == "no match":
            raise SaikenError("パスフレーズが違います。", where=str(path),
                              hint=f"正しいパスフレーズを入力するか、{ENV_PASSPHRASE_FILE} の内容を確かめてください。") from None
        raise SaikenError(f"鍵ファイルが壊れています: {exc.message}", where=str(path)) from None


def _ssh_identity(path: Path, data: bytes) -> LoadedIdentity:
    """An OpenSSH ed25519 private key; its public key is read from the key file itself."""
    try:
        info = sshkey.read_private_key_info(data)
    except sshkey.SSHKeyFormatError:
        raise SaikenError("SSH 秘密鍵のファイルが壊れています。", where=str(path)) from None
    if info.key_type != sshkey.ED25519:
        raise SaikenError(f"{info.key_type} の SSH 鍵には対応していません（ssh-ed25519 のみ）。", where=str(path),
                          hint="`ssh-keygen -t ed25519` で作った鍵か、`saiken keygen` の鍵を使ってください。")
    if info.encrypted:
        raise SaikenError("パスフレーズ付きの SSH 鍵には対応していません。", where=str(path),
                          hint="`saiken keygen --passphrase` でパスフレーズ付きの age の鍵を作って使ってください。")
    try:
        ident = age_ssh.Identity.from_buffer(data)
        scalar = agekeys.ssh_secret_scalar(data)
    except Exception:
        raise SaikenError("SSH 秘密鍵を読めません。", where=str(path)) from None
    return LoadedIdentity(path, ident, info.public_text, scalar)


def _not_a_secret_key(line: str) -> str | None:
    """A hint when a line is something people mistake for a secret key."""
    if line.startswith("age1"):
        return "公開鍵（age1…）が書かれています。秘密鍵（AGE-SECRET-KEY-…）のファイルを指定してください。"
    if line.startswith(("ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-")):
        return "SSH の公開鍵（.pub）が書かれています。.pub の付かない秘密鍵のファイルを指定してください。"
    if line.startswith("-----BEGIN") and "PRIVATE KEY" in line:
        return "この形式の秘密鍵には対応していません（OpenSSH 形式の ssh-ed25519 か age の鍵のみ）。"
    return None


def parse_identities(path: Path, data: bytes) -> list[LoadedIdentity]:
    """Identities in one file's content (already unlocked)."""
    if sshkey.looks_like_openssh(data):
        return [_ssh_identity(path, data)]
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")  # a BOM from Windows editors
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
        mistake = _not_a_secret_key(line)
        if mistake:
            raise SaikenError(mistake, where=f"{path}:{n}")
        try:
            ident = age_x25519.Identity.from_str(line)
            scalar = agekeys.x25519_secret(line)
        except Exception:
            # The line itself is never shown: it may be most of a secret key.
            raise SaikenError("age の秘密鍵として読めない行があります。", where=f"{path}:{n}",
                              hint="`saiken keygen` で作った鍵ファイルを指定してください。") from None
        found.append(LoadedIdentity(path, ident, str(ident.to_public()), scalar))
    if not found:
        raise SaikenError("鍵ファイルに秘密鍵がありません。", where=str(path),
                          hint="`saiken keygen` で作った鍵ファイルを指定してください。")
    return found


def _read_identity_file(path: Path) -> bytes:
    where = str(path)
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise SaikenError("鍵ファイルではなくフォルダが指定されています。", where=where,
                              hint=f"{ENV_IDENTITY} に鍵ファイルそのもののパスを指定してください。")
        if not stat.S_ISREG(st.st_mode):
            raise SaikenError("鍵ファイルが通常のファイルではありません。", where=where)
        if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SaikenError("鍵ファイルを本人以外も読める設定になっています。", where=where, hint=f"chmod 600 {path}")
        if st.st_size > MAX_IDENTITY_FILE_BYTES:
            raise SaikenError("鍵ファイルとしては大きすぎます。別のファイルを指定していませんか。", where=where)
        return path.read_bytes()
    except FileNotFoundError:
        raise SaikenError("鍵ファイルがありません。", where=where,
                          hint=f"`saiken keygen` で作るか、{ENV_IDENTITY} に鍵ファイルのパスを指定してください。") from None
    except OSError as exc:
        raise SaikenError(f"鍵ファイルを読めません（{os_reason(exc)}）。", where=where) from None


def load_identity_file(path: Path) -> list[LoadedIdentity]:
    data = _read_identity_file(path)
    if agefile.looks_like_age(data):
        data = _unlock(path, data)
    return parse_identities(path, data)


def identity_paths() -> list[Path]:
    """SAIKEN_IDENTITY (paths joined by ':'), or the default file under the user's config dir."""
    paths = [Path(p).expanduser() for p in os.environ.get(ENV_IDENTITY, "").split(os.pathsep) if p.strip()]
    return paths or [default_identity_path()]


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
    """The identity file in age-keygen's layout, which the age CLI reads as it is."""
    return f"# created: {created}\n# public key: {public}\n{secret}\n"


def protect_with_passphrase(text: bytes, secret: str) -> bytes:
    """`text` encrypted with a passphrase (age scrypt, armored), as `age -p -a` writes it."""
    return age_passphrase.encrypt(text, secret, armored=True)


# --- encrypt / decrypt ----------------------------------------------------------------------------

def encrypt(plaintext: bytes, recipients: list[RecipientKey], *, armored: bool = False) -> bytes:
    """A standard age file whose stanzas any recipient can prove (saiken.core.agewrite)."""
    if not recipients:
        raise SaikenError("暗号化の宛先（有効な取扱者）がいません。", where="policies/handlers.yaml",
                          hint="`saiken handler add` で取扱者を登録してください。")
    return agewrite.encrypt(plaintext, [r.text for r in recipients], armored=armored)


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
