"""Benchmark the commit hooks through the real pre-commit framework with N records in the repository.

    .venv/bin/python scripts/bench/bench_hooks.py 10000
    .venv/bin/python scripts/bench/bench_hooks.py 10000 --keep DIR

Builds the repository of scripts/bench/bench_check.py (N fictional records, 架空, encrypted in-process),
commits it, installs the hooks with `pre-commit install`, then, for one changed record, several
times: the pre-commit hook alone (`pre-commit run --hook-stage pre-commit`, framework included),
the commit-msg hook alone (`pre-commit run --hook-stage commit-msg`), and the whole `git commit`
(both hooks, each through the framework); finally the same commit with --no-verify. Prints wall
and CPU seconds (user+sys of every process the step started) per run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from faker import Faker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import ROOT, SAIKEN, make_repo, record_text, run_timed  # noqa: E402
from saiken.core import crypto, layout, manifest, policy  # noqa: E402

EMAIL = "otsu-01@example.invalid"


def timed(root: Path, env: dict[str, str], *args: str) -> tuple[float, float]:
    """(wall, cpu) seconds of one command and everything it started; exits on failure."""
    wall, cpu, proc = run_timed(list(args), root, env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall, cpu


def git(root: Path, env: dict[str, str], *args: str) -> tuple[float, float]:
    return timed(root, env, "git", *args)


def write(root: Path, path: Path, data: bytes, keys: list[crypto.RecipientKey]) -> None:
    """A record written as saiken writes one: the file and its line in its bucket's manifest."""
    path.write_bytes(data)
    manifest.record_written(root, path.name[: -len(".yaml.age")], data, keys)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    base = a.keep or Path(tempfile.mkdtemp(prefix="saiken-bench-hooks-"))
    root = base / "repo"
    try:
        key = make_repo(root, a.n)
        handlers = root / "policies" / "handlers.yaml"
        handlers.write_text(handlers.read_text(encoding="utf-8").replace(
            "active: true}", f"active: true, email: {EMAIL}}}"), encoding="utf-8")
        shutil.copy(ROOT / ".pre-commit-config.yaml", root / ".pre-commit-config.yaml")
        keys = [crypto.RecipientKey.parse(h.public_key) for h in policy.load_handlers(root)]
        env = {"SAIKEN_IDENTITY": str(key), "PATH": f"{SAIKEN.parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": str(base), "GIT_AUTHOR_NAME": "架空 太郎", "GIT_AUTHOR_EMAIL": EMAIL,
               "GIT_COMMITTER_NAME": "架空 太郎", "GIT_COMMITTER_EMAIL": EMAIL, "GIT_CONFIG_NOSYSTEM": "1"}
        git(root, env, "add", "-A")
        git(root, env, "commit", "-q", "--no-verify", "-m", "記録を登録（ベンチマーク）")
        subprocess.run([str(SAIKEN.parent / "pre-commit"), "install", "--hook-type", "pre-commit",
                        "--hook-type", "commit-msg", "--hook-type", "pre-push"], cwd=root, env=env,
                       check=True, capture_output=True)
        fake = Faker("ja_JP")
        victim = root / layout.record_rel("C-B0000001")
        pre_commit = str(SAIKEN.parent / "pre-commit")
        message = base / "message.txt"
        for run in range(a.runs + 1):
            write(root, victim, crypto.encrypt(record_text(1, fake).encode(), keys), keys)
            git(root, env, "add", str(victim), layout.manifest_rel("C-B0000001"))
            message.write_text(f"事案 C-B0000001 を更新（{run}）\n", encoding="utf-8")
            steps = [("pre-commit hook", timed(root, env, pre_commit, "run", "--hook-stage", "pre-commit")),
                     ("commit-msg hook", timed(root, env, pre_commit, "run", "--hook-stage", "commit-msg",
                                               "--commit-msg-filename", str(message))),
                     ("git commit (both)", git(root, env, "commit", "-q", "-F", str(message)))]
            label = "first change (cold caches)" if run == 0 else f"run {run}"
            print(f"{label:<28} " + "  ".join(f"{what} {wall:5.2f} s wall {cpu:5.2f} s cpu" for what, (wall, cpu) in steps))
        write(root, victim, crypto.encrypt(record_text(1, fake).encode(), keys), keys)
        git(root, env, "add", str(victim), layout.manifest_rel("C-B0000001"))
        wall, cpu = git(root, env, "commit", "-q", "--no-verify", "-m", "事案 C-B0000001 を更新（フックなし）")
        print(f"{'commit --no-verify':<28} {wall:5.2f} s wall {cpu:5.2f} s cpu")
    finally:
        if a.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
