"""Where decrypted plaintext may live while a person works on it: memory-backed storage only.

A plaintext file on disk is a copy that outlives its deletion (terms 8, 9), so a scratch folder is
made only on tmpfs or ramfs – $SAIKEN_TMPDIR, $XDG_RUNTIME_DIR or /dev/shm, each checked against
/proc/mounts – unless the user explicitly allows disk (--unsafe-tmp). The folder is private
(0700, files 0600), named with the owner's pid so that every later saiken start sweeps what a SIGKILL
or a crash left (`sweep_everywhere`, from saiken.core.process_guard), and
removed on every way out: normal exit, an error, SIGINT (outside a running child, which gets
Ctrl-C itself, as git does for its editor), SIGTERM and SIGHUP (the child is stopped first), and
atexit as a last net.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

from saiken.errors import SaikenError, os_reason

ENV_TMPDIR = "SAIKEN_TMPDIR"
MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
MEMORY_CANDIDATES = ("/dev/shm", "/run/shm")
# exit codes as a shell reports them: 128 + signal number
OWNER_FILE = ".owner"
SIGNAL_EXITS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def _unescape_mount(field: str) -> str:
    # /proc/mounts writes a space in a mount point as \040
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def filesystem_type(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The type of the filesystem holding `path` (the longest, latest matching mount point)."""
    try:
        lines = mounts.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    real = os.path.realpath(path)
    best: tuple[int, str] | None = None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = _unescape_mount(parts[1])
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= best[0]):
            best = (len(point), parts[2])
    return best[1] if best else None


def is_memory_backed(path: Path) -> bool:
    return filesystem_type(path) in MEMORY_FILESYSTEMS


def _usable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def scratch_base(unsafe_tmp: bool = False) -> Path:
    """Where the plaintext may be written: memory-backed storage, or disk with --unsafe-tmp."""
    explicit = os.environ.get(ENV_TMPDIR)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    names = [explicit] if explicit else [n for n in (runtime, *MEMORY_CANDIDATES) if n]
    for name in names:
        if _usable(Path(name)) and is_memory_backed(Path(name)):
            return Path(name)
    if not unsafe_tmp:
        tried = "、".join(names)
        raise SaikenError(
            f"メモリ上の一時領域（tmpfs）が見つからないため、復号した記録を書き出せません（確かめた場所: {tried}）。"
            "ディスクに平文を書くと、削除しても復元されるおそれがあります（特記事項8・9）。",
            hint=f"{ENV_TMPDIR} に tmpfs のフォルダを指定してください（例: {ENV_TMPDIR}=/dev/shm）。"
                 "どうしてもディスクを使う場合だけ --unsafe-tmp を付けてください。")
    base = Path(explicit) if explicit else Path(tempfile.gettempdir())
    if not _usable(base):
        raise SaikenError("一時フォルダに書き込めません。", where=str(base), hint=f"{ENV_TMPDIR} を確かめてください。")
    _say(f"警告: --unsafe-tmp のため、復号した記録をディスク上の一時フォルダ（{base}）に書きます。"
         "終了時に削除しますが、ディスクには痕跡が残るおそれがあります。")
    return base


def repository_tag(root: Path) -> str:
    """Which repository a scratch folder belongs to, without naming its path (erase asks)."""
    return hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:16]


def folder_owner(folder: Path) -> str | None:
    try:
        return (folder / OWNER_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _say(message: str) -> None:
    # not click: the commit hooks sweep too, and they do not import click (saiken.entry)
    print(message, file=sys.stderr, flush=True)


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def _started_at(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), from /proc; None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    boot = _boot_time()
    fields = stat.rsplit(")", 1)[-1].split()
    if boot is None or len(fields) < 20:
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def owner_alive(pid: int, folder_mtime: float) -> bool:
    """Whether the saiken that made a folder may still run: process `pid` exists and started
    before the folder was last changed (a later start is another program that got the pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = _started_at(pid)
    return started is None or started <= folder_mtime + 1.0


def stale_folders(base: Path) -> list[Path]:
    """Our plaintext folders in `base` whose saiken is gone (killed outright, crashed)."""
    out: list[Path] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return out
    for entry in entries:
        parts = entry.name.split("-")
        if len(parts) < 3 or parts[0] != "saiken" or not parts[1].isdigit():
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if entry.is_dir(follow_symlinks=False) and st.st_uid == os.getuid() \
                and not owner_alive(int(parts[1]), st.st_mtime):
            out.append(Path(entry.path))
    return out


def sweep_stale(base: Path) -> None:
    """Remove our folders left by a saiken that was killed outright (SIGKILL, a crash, power loss on disk)."""
    for folder in stale_folders(base):
        shutil.rmtree(folder, ignore_errors=True)
        _say(f"前回強制終了された saiken の一時フォルダを削除しました: {folder}")


def candidate_bases() -> list[Path]:
    """Every folder a Scratch may have been made in: the memory-backed ones, and the disk's temp
    folder that --unsafe-tmp uses."""
    names = [os.environ.get(ENV_TMPDIR), os.environ.get("XDG_RUNTIME_DIR"), *MEMORY_CANDIDATES, tempfile.gettempdir()]
    return [Path(n) for n in dict.fromkeys(n for n in names if n)]


def sweep_everywhere() -> None:
    """At every saiken start (saiken.core.process_guard): sweep each folder a Scratch may use."""
    for base in candidate_bases():
        sweep_stale(base)


class Scratch:
    """A private folder for plaintext, removed on exit, on error and on SIGINT/SIGTERM/SIGHUP."""

    def __init__(self, base: Path, owner: str | None = None) -> None:
        self.base = base
        self.owner = owner  # repository_tag of the repository the plaintext belongs to
        self.folder: Path | None = None
        self.child: subprocess.Popen[bytes] | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Self:
        sweep_stale(self.base)
        self.folder = Path(tempfile.mkdtemp(prefix=f"saiken-{os.getpid()}-", dir=self.base))
        os.chmod(self.folder, 0o700)
        if self.owner is not None:
            self.write(OWNER_FILE, self.owner + "\n")
        atexit.register(self.remove)
        for sig in SIGNAL_EXITS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.remove()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        atexit.unregister(self.remove)

    def write(self, name: str, text: str) -> Path:
        assert self.folder is not None
        path = self.folder / name
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def remove(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def run(self, argv: list[str]) -> int:
        """Run the editor in the foreground; return its exit status (negative: killed by a signal)."""
        try:
            self.child = subprocess.Popen(argv)
        except OSError as exc:
            raise SaikenError(f"エディタを起動できません（{os_reason(exc)}）。", where=argv[0],
                              hint="環境変数 EDITOR（または VISUAL）に使えるエディタを指定してください（例: EDITOR=nano）。") from None
        try:
            return self.child.wait()
        finally:
            self.child = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self.child is not None and self.child.poll() is None:
            return  # Ctrl-C reached the editor too; it decides (vim cancels a command, others quit)
        self._stop_child()
        self.remove()
        _say("中断しました。復号した一時ファイルは削除しました。記録は書き換えていません。")
        raise SystemExit(SIGNAL_EXITS[signal.Signals(signum)])

    def _stop_child(self) -> None:
        # Not Popen.wait(): the interrupted main thread holds its lock, so a second wait deadlocks.
        child = self.child
        if child is None or child.returncode is not None:
            return
        for sig, patience in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(child.pid, sig)
            except ProcessLookupError:
                return
            end = time.monotonic() + patience
            while time.monotonic() < end:
                try:
                    if os.waitpid(child.pid, os.WNOHANG)[0]:
                        return
                except ChildProcessError:
                    return
                time.sleep(0.02)
