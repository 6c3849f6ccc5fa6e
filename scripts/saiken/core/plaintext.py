"""Where decrypted plaintext may live while a person works on it: memory-backed storage only.

A plaintext file on disk is a copy that outlives its deletion (terms 8, 9), so a scratch folder is
made only on tmpfs or ramfs – $SAIKEN_TMPDIR, $XDG_RUNTIME_DIR or /dev/shm, each checked against
/proc/mounts – unless the user explicitly allows disk (--unsafe-tmp). The folder is private
(0700, files 0600), named with the owner's pid so a later run can sweep what a SIGKILL left, and
removed on every way out: normal exit, an error, SIGINT (outside a running child, which gets
Ctrl-C itself, as git does for its editor), SIGTERM and SIGHUP (the child is stopped first), and
atexit as a last net.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

import click

from saiken.errors import SaikenError, os_reason

ENV_TMPDIR = "SAIKEN_TMPDIR"
MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
MEMORY_CANDIDATES = ("/dev/shm", "/run/shm")
# exit codes as a shell reports them: 128 + signal number
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
    click.echo(f"警告: --unsafe-tmp のため、復号した記録をディスク上の一時フォルダ（{base}）に書きます。"
               "終了時に削除しますが、ディスクには痕跡が残るおそれがあります。", err=True)
    return base


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(base: Path) -> None:
    """Remove our folders left by a saiken that was killed outright (SIGKILL, power loss on disk)."""
    for folder in base.glob("saiken-*-*"):
        pid = folder.name.split("-")[1]
        try:
            mine = folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            click.echo(f"前回強制終了された saiken の一時フォルダを削除しました: {folder}", err=True)


class Scratch:
    """A private folder for plaintext, removed on exit, on error and on SIGINT/SIGTERM/SIGHUP."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.folder: Path | None = None
        self.child: subprocess.Popen[bytes] | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Self:
        sweep_stale(self.base)
        self.folder = Path(tempfile.mkdtemp(prefix=f"saiken-{os.getpid()}-", dir=self.base))
        os.chmod(self.folder, 0o700)
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
        click.echo("中断しました。復号した一時ファイルは削除しました。記録は書き換えていません。", err=True)
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
