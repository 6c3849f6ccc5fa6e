"""Benchmark the commit hooks through the real pre-commit framework with N records in the repository.

    .venv/bin/python scripts/bench_hooks.py 10000
    .venv/bin/python scripts/bench_hooks.py 10000 --keep DIR

Builds the repository of scripts/bench_check.py (N fictional records, 架空, encrypted in-process),
commits it, installs the hooks with `pre-commit install`, then times `git commit` of one changed
record (pre-commit + commit-msg hooks, framework included) several times, and the same commit with
--no-verify for comparison. Prints wall seconds per run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage
from faker import Faker
from pyrage import x25519

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import ROOT, SAIKEN, make_repo, record_text  # noqa: E402

from saiken import crypto, manifest  # noqa: E402

EMAIL = "otsu-01@example.invalid"


def git(root: Path, env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall


def write(root: Path, path: Path, data: bytes, keys: list[crypto.RecipientKey]) -> None:
    """A record written as saiken writes one: the file and its line in records/manifest.yaml."""
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
        keys = [crypto.RecipientKey.parse(crypto.load_identities([key])[0].public)]
        book = manifest.Manifest({}, [])
        for path in sorted((root / "records").glob("*.yaml.age")):
            book.set(path.name[: -len(".yaml.age")], manifest.entry(path.read_bytes(), keys))
        manifest.save(root, book)
        env = {"SAIKEN_IDENTITY": str(key), "PATH": f"{SAIKEN.parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": str(base), "GIT_AUTHOR_NAME": "架空 太郎", "GIT_AUTHOR_EMAIL": EMAIL,
               "GIT_COMMITTER_NAME": "架空 太郎", "GIT_COMMITTER_EMAIL": EMAIL, "GIT_CONFIG_NOSYSTEM": "1"}
        git(root, env, "add", "-A")
        git(root, env, "commit", "-q", "--no-verify", "-m", "記録を登録（ベンチマーク）")
        subprocess.run([str(SAIKEN.parent / "pre-commit"), "install", "--hook-type", "pre-commit",
                        "--hook-type", "commit-msg", "--hook-type", "pre-push"], cwd=root, env=env,
                       check=True, capture_output=True)
        recipient = x25519.Recipient.from_str(crypto.load_identities([key])[0].public)
        fake = Faker("ja_JP")
        victim = root / "records" / "C-B0000001.yaml.age"
        for run in range(a.runs + 1):
            write(root, victim, pyrage.encrypt(record_text(1, fake).encode(), [recipient]), keys)
            git(root, env, "add", str(victim), "records/manifest.yaml")
            wall = git(root, env, "commit", "-q", "-m", f"事案 C-B0000001 を更新（{run}）")
            label = "first commit (cold caches)" if run == 0 else f"commit with hooks, run {run}"
            print(f"{label:<32} {wall:6.2f} s wall")
        write(root, victim, pyrage.encrypt(record_text(1, fake).encode(), [recipient]), keys)
        git(root, env, "add", str(victim), "records/manifest.yaml")
        wall = git(root, env, "commit", "-q", "--no-verify", "-m", "事案 C-B0000001 を更新（フックなし）")
        print(f"{'commit --no-verify':<32} {wall:6.2f} s wall")
    finally:
        if a.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
