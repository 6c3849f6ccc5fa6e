"""Nothing left behind by a saiken that dies: no core dump with the record in it, and the plaintext
folder of a dead saiken removed by the next saiken that starts, whatever command it is.

Real saiken processes, real signals; the kernel here writes core files to the crashing process's
folder (core_pattern `core`), which the tests check first so that they can fail.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import VENV_BIN, RecordsRepo
from test_editor import CASE, SLEEPER, calls, leftovers, make_editor, repo, shm  # noqa: F401 (fixtures)

pytestmark = pytest.mark.timeout(180)


def _cores_allowed() -> None:
    """In the child before exec: core files of any size (as a developer's shell with `ulimit -c
    unlimited` would have)."""
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _cores(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.iterdir() if p.name == "core" or p.name.startswith("core.")]


def _limits(pid: int) -> str:
    return next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
                if line.startswith("Max core file size"))


def test_the_kernel_here_writes_core_files(tmp_path: Path) -> None:
    """The premise of the crash tests below: a plain Python crashing with cores allowed leaves one."""
    proc = subprocess.run([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"],
                          cwd=tmp_path, preexec_fn=_cores_allowed, capture_output=True)
    assert proc.returncode == -signal.SIGSEGV
    assert _cores(tmp_path), f"no core file: core_pattern is {Path('/proc/sys/kernel/core_pattern').read_text()!r}"


@pytest.mark.parametrize("who", ["saiken", "editor"])
@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGABRT])
def test_a_crash_while_editing_leaves_no_core_file(repo: RecordsRepo, shm: Path, tmp_path: Path,
                                                   sig: signal.Signals, who: str) -> None:
    ed = make_editor(tmp_path, "sleeper.py", SLEEPER)
    proc = subprocess.Popen([str(VENV_BIN / "saiken"), "case", "edit", CASE], cwd=repo.root, text=True,
                            env={**repo.env, "EDITOR": ed}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=_cores_allowed)
    try:
        for _ in range(300):
            if calls(ed):
                break
            time.sleep(0.05)
        editor = calls(ed)[0]["pid"]
        # both hold the record: neither may dump it, and the editor cannot raise the limit again
        assert _limits(proc.pid).split()[-3:] == ["0", "0", "bytes"]
        assert _limits(editor).split()[-3:] == ["0", "0", "bytes"]
        os.kill(proc.pid if who == "saiken" else editor, sig)
        if who == "saiken":
            proc.wait(timeout=30)
            assert proc.returncode == -sig
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert _cores(repo.root, tmp_path) == []
    # the plaintext folder a crashed saiken leaves is gone at the next start of any saiken command
    r = repo.saiken("case", "list")
    assert r.returncode == 0, r.stderr
    assert leftovers(shm) == []


def test_every_saiken_process_is_undumpable(tmp_path: Path) -> None:
    code = ("from saiken import entry; from saiken.core import process_guard;"
            "import resource, sys; entry.main(['--version']);"
            "print(process_guard.dumpable(), resource.getrlimit(resource.RLIMIT_CORE), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          preexec_fn=_cores_allowed)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "False (0, 0)"


def _stale(shm: Path, pid: int, age: float = 0) -> Path:
    folder = shm / f"saiken-{pid}-abcdefgh"
    folder.mkdir(mode=0o700)
    (folder / f"{CASE}.yaml").write_text("架空の平文\n")
    if age:
        os.utime(folder, (time.time() - age, time.time() - age))
    return folder


@pytest.mark.parametrize("command", [("case", "list"), ("hook", "pre-commit"), ("--version",)])
def test_any_saiken_start_sweeps_the_plaintext_of_dead_processes(repo: RecordsRepo, shm: Path,
                                                                command: tuple[str, ...]) -> None:
    repo.git("add", "-A")  # for the commit hook: the policies and the record staged
    dead = _stale(shm, 999999999)
    alive = _stale(shm, os.getpid())  # this test's own process: still running, left alone
    later = subprocess.Popen(["sleep", "60"])  # a process that got a pid after the folder was last written
    try:
        reused = _stale(shm, later.pid, age=3600)
        r = repo.saiken(*command)
        assert r.returncode == 0, r.stderr
    finally:
        later.kill()
        later.wait()
    assert f"前回強制終了された saiken の一時フォルダを削除しました: {dead}" in r.stderr
    assert str(reused) in r.stderr
    assert leftovers(shm) == sorted([alive.name, f"{alive.name}/{CASE}.yaml"])
