"""The local access log (contractor system measure 5): who opened which cases, when, with which command.

`.saiken/access.log`, one line per command that opened or wrote a record, tab-separated, PII-free:
    time  handler-id  case-ids (comma-separated)  command  sha256-of-the-previous-line
The command is its words and option names, never a value typed (a --note is not logged). What a
command opened is gathered by saiken.core.reads wherever records are decrypted (every command, the
commit hooks, git's textconv for `git log -p`, forked workers) and written here once, at its end
(saiken.entry), so each command gives exactly one line.

The first line chains to 64 zeros. Removing or altering a line breaks the chain at the next line,
which `verify` reports. A log rewritten consistently from the start (every hash recomputed) is
caught only against a head kept elsewhere: `verify --head`, or the head each handover receipt
carries (ledger/receipts.yaml, committed and signed by the receiver: `saiken ledger receive`).
A client-side log cannot stop a determined insider: it is evidence for honest staff and audits.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from saiken.core import crypto, localfiles, reads
from saiken.core.policy import HANDLERS_FILE, Handler, handlers_from_data, load_handlers, parse_yaml
from saiken.errors import SaikenError
from saiken.git import gitio

LOG = ".saiken/access.log"
GENESIS = "0" * 64


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


def who(root: Path, identities: list[crypto.LoadedIdentity] | None = None, keys: list[str] | None = None) -> str:
    """The handler id of the person at the keyboard: whose key was used, or is in SAIKEN_IDENTITY
    ('unknown' if none is a handler's)."""
    handlers = {key_of(h.public_key): h.id for h in _handlers(root)}
    if keys is None:
        keys = [i.public for i in identities] if identities is not None else []
    keys = [*keys, *_public_keys_without_secrets()]
    return next((handlers[key_of(k)] for k in keys if key_of(k) in handlers), "unknown")


def _handlers(root: Path) -> list[Handler]:
    """The handlers of the work tree, or – in a bare repository (the server's pre-receive hook,
    when it holds a key) – of its HEAD, else main, else its first branch."""
    if (root / HANDLERS_FILE).exists() or not _is_bare(root):
        return load_handlers(root)
    branches = gitio.text(["for-each-ref", "--format=%(refname)", "refs/heads"], root).split()
    revs = [r for r in dict.fromkeys(["HEAD", "refs/heads/main", *branches]) if gitio.resolve_commit(root, r)]
    raw = next((data for data in gitio.file_at(root, revs, HANDLERS_FILE) if data is not None), None) if revs else None
    return handlers_from_data(parse_yaml(raw, HANDLERS_FILE)) if raw is not None else []


def _is_bare(root: Path) -> bool:
    return (root / "HEAD").is_file() and (root / "objects").is_dir()


def log_id(root: Path) -> str:
    """Which log this is – this machine and this clone – without naming either (a receipt carries it,
    so `verify` compares a receipt only with the log it was taken from)."""
    return hashlib.sha256(f"{socket.gethostname()}\0{root.resolve()}".encode()).hexdigest()[:16]


def _last_line(fd: int) -> str | None:
    """The last line, read from the end (the log grows for years; a commit hook must stay quick)."""
    size = os.fstat(fd).st_size
    chunk, data = 4096, b""
    while True:
        start = max(0, size - chunk)
        data = os.pread(fd, size - start, start)
        lines = data.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or start == 0:
            last = lines[-1].decode("utf-8", "replace")
            return last or None
        chunk *= 4


def append(root: Path, handler_id: str, case_ids: list[str], command: str, at: dt.datetime | None = None) -> str:
    """Add one line chained to the last (under a lock: hooks and git's drivers may run at once)."""
    path = localfiles.folder(root) / Path(LOG).name
    when = (at or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        last = _last_line(fd)
        fields = (when, handler_id, ",".join(case_ids), _one_line(command), line_hash(last) if last else GENESIS)
        line = "\t".join(fields)
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return line


def _one_line(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def _root_for(accesses: reads.Accesses) -> Path | None:
    if accesses.root is not None:
        return accesses.root
    from saiken.core.records import find_root

    try:
        return find_root()
    except SaikenError:
        cwd = Path.cwd()  # a bare repository (the server's pre-receive hook, when it holds a key)
        return cwd if _is_bare(cwd) else None


def flush(command: str) -> str | None:
    """Write the line for what this process opened (saiken.core.reads), if anything; at the end of
    every command (saiken.entry). A log that cannot be written is said, never silently skipped."""
    accesses = reads.drain()
    if not accesses:
        return None
    root = _root_for(accesses)
    try:
        if root is None:
            raise OSError("記録リポジトリが見つかりません")
        handler = who(root, keys=list(accesses.keys))
        return append(root, handler, list(accesses.cases), command)
    except (OSError, SaikenError) as exc:
        reason = exc.message if isinstance(exc, SaikenError) else str(exc)
        cases = list(accesses.cases)
        shown = ", ".join(cases[:5]) + (f" ほか {len(cases) - 5} 件" if len(cases) > 5 else "")
        print(f"警告: アクセス記録（{LOG}）を書けませんでした（{reason}）。開いた事案 {len(cases)} 件: {shown}。"
              "取扱責任者に報告してください。", file=sys.stderr, flush=True)
        return None


# --- verifying ----------------------------------------------------------------------------------

@dataclass
class Verdict:
    lines: int
    head: str
    problems: list[str]
    hashes: list[str]  # of every line, in order
    checked: int = 0  # heads kept elsewhere that this log was held to
    other_logs: int = 0  # heads of other logs (another clone or machine): not compared


@dataclass(frozen=True)
class Head:
    """A point of the chain kept elsewhere: the hash of line `lines` of the log `log_id`."""

    lines: int
    hash: str
    log_id: str


def _read_lines(root: Path) -> list[str]:
    path = root / LOG
    if not path.is_file():
        raise SaikenError("アクセス記録がありません。", where=LOG,
                          hint="`saiken case show ID` などで記録が開かれると作られます。")
    return path.read_text(encoding="utf-8").splitlines()


def head(root: Path) -> Head:
    """The log's head now (0 lines: the genesis hash), for a receipt to carry."""
    path = root / LOG
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return Head(len(lines), line_hash(lines[-1]) if lines else GENESIS, log_id(root))


def verify(root: Path, kept: list[tuple[str, Head]] | None = None) -> Verdict:
    """Walk the chain; each problem names the line number and what broke. `kept`: heads noted
    elsewhere (label, head) – the chain must pass through each of them."""
    lines = _read_lines(root)
    problems: list[str] = []
    prev = GENESIS
    hashes: list[str] = []
    for n, line in enumerate(lines, 1):
        fields = line.split("\t")
        if len(fields) != 5:
            problems.append(f"{n} 行目: 書式が壊れています（5 項目ではありません）")
        elif fields[4] != prev:
            problems.append(f"{n} 行目: 直前の行のハッシュと一致しません（直前の行が削除または改ざんされています）")
        prev = line_hash(line)
        hashes.append(prev)
    mine = log_id(root)
    checked = others = 0
    for label, point in kept or []:
        if point.log_id != mine:
            others += 1
            continue
        if point.lines == 0:
            continue
        checked += 1
        if point.lines > len(hashes):
            problems.append(f"{label}: 控えの {point.lines} 行目までの記録がありません（末尾の行が削除されています）")
        elif hashes[point.lines - 1] != point.hash:
            problems.append(f"{label}: {point.lines} 行目のハッシュが控えと一致しません"
                            "（それまでの行が書き換えられています）")
    return Verdict(len(lines), prev if lines else GENESIS, problems, hashes, checked, others)
