"""scripts/quickstart.sh as a newcomer runs it (after setup.sh, which needs root and the network):
a fresh demo, its list, worklist, check and site, then one block of lines that work when pasted."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, VENV_BIN, _base_env

NEXT = "次に試すこと"


def _env(tmp: Path) -> dict[str, str]:
    """A shell without saiken on its PATH: the script and its block must put it there."""
    env = _base_env(tmp)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p) != VENV_BIN)
    return {k: v for k, v in env.items() if not k.startswith("GIT_")}   # no git identity: as on a new machine


def _quickstart(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts" / "quickstart.sh"), "--no-setup", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("quickstart")
    env = _env(tmp)
    return tmp, env, _quickstart(tmp, env, str(tmp / "デモ 1"))


def _block(stdout: str) -> list[str]:
    assert stdout.count(NEXT) == 1, stdout                 # one "what next", not one from demo and one at the end
    lines = stdout.split(NEXT, 1)[1].splitlines()[1:]
    return [line.strip() for line in lines if line.startswith("  ")]


def test_one_block_of_next_steps_that_starts_with_the_path(first_run) -> None:  # type: ignore[no-untyped-def]
    tmp, _, proc = first_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    block = _block(proc.stdout)
    assert block[0].startswith("export PATH=") and block[1].startswith("cd ") and "SAIKEN_IDENTITY" in block[2]
    assert proc.stdout.rstrip().endswith(block[-1])        # the last thing on the screen


def test_a_fresh_demo_has_nothing_to_warn_about(first_run) -> None:  # type: ignore[no-untyped-def]
    _, _, proc = first_run
    assert "検査したファイル" in proc.stdout and "エラー 0 件、警告 0 件" in proc.stdout
    assert "警告 [" not in proc.stdout + proc.stderr and "注意" not in proc.stdout + proc.stderr
    assert proc.stderr == "", proc.stderr


def test_the_block_works_when_pasted(first_run) -> None:  # type: ignore[no-untyped-def]
    tmp, env, proc = first_run
    commands = [re.sub(r"\s+#.*$", "", line) for line in _block(proc.stdout) if not line.startswith("saiken case edit")]
    script = "set -e\n" + "\n".join(commands) + "\n"
    pasted = subprocess.run(["bash", "-c", script], cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert pasted.returncode == 0, pasted.stderr
    assert "計 20 件" in pasted.stdout and "消滅時効" in pasted.stdout


def test_a_second_run_reuses_the_demo_and_says_it_once(first_run) -> None:  # type: ignore[no-untyped-def]
    tmp, env, _ = first_run
    again = _quickstart(tmp, env, str(tmp / "デモ 1"))
    assert again.returncode == 0, again.stderr
    assert "既にあるデモ用リポジトリを使います" in again.stdout
    assert _block(again.stdout)[0].startswith("export PATH=")


def test_a_demo_made_in_an_older_layout_is_moved_and_committed(first_run) -> None:  # type: ignore[no-untyped-def]
    """A demo left by an older saiken (records in one level of folders) would stop `case list`: the
    second run moves it with `saiken records migrate`, commits that through the hooks, and goes on."""
    import shutil

    from test_records_layout import ONE_LEVEL, flatten

    tmp, env, _ = first_run
    old = tmp / "デモ 古い配置"
    shutil.copytree(tmp / "デモ 1", old, symlinks=True)

    class Repo:
        root = old

    flatten(Repo, ONE_LEVEL)  # type: ignore[arg-type]
    git = ["git", "-C", str(old)]
    subprocess.run([*git, "add", "-A", "records"], check=True, env=env)
    subprocess.run([*git, "commit", "-q", "--no-verify", "-m", "一段の配置（以前の saiken）"], check=True, env=env)
    run = _quickstart(tmp, env, str(old))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "以前の配置のデモです" in run.stdout and "C-" in run.stdout.split("saiken case list", 1)[1]
    assert subprocess.run([*git, "log", "-1", "--format=%s"], capture_output=True, text=True, env=env,
                          check=True).stdout.strip() == "記録をフォルダ別の配置に移す（saiken records migrate）"
    assert subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True, env=env).stdout == ""
    again = _quickstart(tmp, env, str(old))
    assert again.returncode == 0 and "以前の配置のデモです" not in again.stdout
