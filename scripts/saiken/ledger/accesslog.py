"""The local access log (contractor system measure 5): who opened which case, when.

`.saiken/access.log`, one line per access, tab-separated and PII-free:
    time  handler-id  case-id  action  sha256-of-the-previous-line
The first line chains to 64 zeros. Removing or altering a line breaks the chain at the next line,
which `verify` reports. Removing the last lines is visible only against a head noted earlier
(`verify` prints it), or a committed copy. A client-side log cannot stop a determined insider: it is
evidence for honest staff and for audits, not a barrier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from saiken.core import crypto
from saiken.core.policy import Policy
from saiken.errors import SaikenError

LOG = ".saiken/access.log"
GENESIS = "0" * 64
ACTIONS = ("show", "edit")


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def key_of(text: str) -> str:
    parts = text.split()
    return " ".join(parts[:2]) if parts and parts[0].startswith("ssh-") else (parts[0] if parts else "")


def _public_keys_without_secrets() -> list[str]:
    """Public keys of SAIKEN_IDENTITY read without unlocking anything: the `# public key:` line that
    age-keygen and `saiken keygen` write, or the `.pub` file beside an SSH key."""
    keys: list[str] = []
    for path in crypto.identity_paths():
        try:
            head = path.read_bytes()[:4096].decode("utf-8", "replace")
        except OSError:
            continue
        keys += [line.split(":", 1)[1].strip() for line in head.splitlines() if line.startswith("# public key:")]
        pub = path.with_name(path.name + ".pub")
        if pub.is_file():
            keys.append(pub.read_text(encoding="utf-8", errors="replace").strip())
    return keys


def who(root: Path, identities: list[crypto.LoadedIdentity] | None = None) -> str:
    """The handler id of the person at the keyboard: whose key is in SAIKEN_IDENTITY ('unknown' if none)."""
    handlers = {key_of(h.public_key): h.id for h in Policy.load(root).handlers}
    keys = [i.public for i in identities] if identities is not None else _public_keys_without_secrets()
    return next((handlers[key_of(k)] for k in keys if key_of(k) in handlers), "unknown")


def _last_line(path: Path) -> str | None:
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[-1] if lines else None


def append(root: Path, handler_id: str, case_id: str, action: str, at: dt.datetime | None = None) -> str:
    """Add one line chained to the last; the folder is created git-ignored."""
    path = root / LOG
    folder = path.parent
    if not folder.is_dir():
        folder.mkdir(mode=0o700)
        (folder / ".gitignore").write_text("# saiken のローカルな記録（既定ではコミットしません）\n*\n", encoding="utf-8")
    last = _last_line(path)
    when = (at or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    line = "\t".join((when, handler_id, case_id, action, line_hash(last) if last is not None else GENESIS))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return line


@dataclass
class Verdict:
    lines: int
    head: str
    problems: list[str]


def verify(root: Path) -> Verdict:
    """Walk the chain; each problem names the line number and what broke."""
    path = root / LOG
    if not path.is_file():
        raise SaikenError("アクセス記録がありません。", where=LOG,
                          hint="`saiken case show ID` などで記録が開かれると作られます。")
    lines = path.read_text(encoding="utf-8").splitlines()
    problems: list[str] = []
    prev = GENESIS
    for n, line in enumerate(lines, 1):
        fields = line.split("\t")
        if len(fields) != 5:
            problems.append(f"{n} 行目: 書式が壊れています（5 項目ではありません）")
        elif fields[4] != prev:
            problems.append(f"{n} 行目: 直前の行のハッシュと一致しません（直前の行が削除または改ざんされています）")
        prev = line_hash(line)
    return Verdict(len(lines), prev if lines else GENESIS, problems)
