"""Where a passphrase comes from: the file SAIKEN_PASSPHRASE_FILE names, or the terminal.

The terminal is /dev/tty, never standard input: standard input may carry a record (`case new
--from -`), and Python's getpass would otherwise fall back to reading it with the echo on. Without
a terminal and without the file, the user is told to set SAIKEN_PASSPHRASE_FILE.
"""

from __future__ import annotations

import getpass
import os
import stat
from pathlib import Path

from saiken.errors import SaikenError, os_reason

ENV_PASSPHRASE_FILE = "SAIKEN_PASSPHRASE_FILE"
MIN_NEW_LENGTH = 8
_MAX_FILE_BYTES = 4096


def _from_file(name: str) -> str:
    path = Path(name).expanduser()
    try:
        st = path.stat()
        # A pipe is fine too: SAIKEN_PASSPHRASE_FILE=<(pass show saiken) never touches the disk.
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise SaikenError(f"{ENV_PASSPHRASE_FILE} が通常のファイルを指していません。", where=name)
        if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO) and stat.S_ISREG(st.st_mode):
            raise SaikenError("パスフレーズのファイルを本人以外も読める設定になっています。", where=name,
                              hint=f"chmod 600 {path}")
        with path.open("rb") as fh:
            raw = fh.read(_MAX_FILE_BYTES + 1)
        if len(raw) > _MAX_FILE_BYTES:
            raise SaikenError("パスフレーズのファイルが大きすぎます（1 行だけ書いてください）。", where=name)
    except FileNotFoundError:
        raise SaikenError(f"{ENV_PASSPHRASE_FILE} のファイルがありません。", where=name,
                          hint=f"パスを確かめるか、`unset {ENV_PASSPHRASE_FILE}` で端末から入力してください。") from None
    except OSError as exc:
        raise SaikenError(f"{ENV_PASSPHRASE_FILE} のファイルを読めません（{os_reason(exc)}）。", where=name) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SaikenError("パスフレーズのファイルが UTF-8 のテキストではありません。", where=name) from None
    lines = text.splitlines()
    secret = lines[0] if lines else ""
    if not secret:
        raise SaikenError("パスフレーズのファイルが空です。", where=name)
    return secret


def _has_terminal() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def _prompt(text: str) -> str:
    try:
        return getpass.getpass(text)
    except EOFError:
        raise SaikenError("パスフレーズの入力が途中で終わりました。") from None


def read(label: str, *, new: bool = False) -> str:
    """The passphrase for `label` (a key file path). `new` asks twice and checks the length."""
    env = os.environ.get(ENV_PASSPHRASE_FILE)
    if env:
        secret = _from_file(env)
    elif not _has_terminal():
        raise SaikenError("パスフレーズを入力できません（端末がありません）。", where=label,
                          hint=f"パスフレーズを 1 行書いたファイル（chmod 600）を {ENV_PASSPHRASE_FILE} に指定してください。")
    else:
        secret = _prompt(f"{label} のパスフレーズ: " if not new else f"{label} に設定するパスフレーズ: ")
        if new and secret and _prompt("もう一度入力してください: ") != secret:
            raise SaikenError("パスフレーズが一致しません。何も書き込んでいません。", hint="もう一度やり直してください。")
    if not secret:
        raise SaikenError("パスフレーズが空です。", where=label)
    if new and len(secret) < MIN_NEW_LENGTH:
        raise SaikenError(f"パスフレーズが短すぎます（{MIN_NEW_LENGTH} 文字以上にしてください）。何も書き込んでいません。",
                          where=label)
    return secret
