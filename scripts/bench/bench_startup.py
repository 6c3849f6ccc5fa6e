"""Benchmark what every saiken process pays now: start-up (no core dumps, the sweep of stale
plaintext folders) and the access-log line at the end, on N fictional records (架空).

    .venv/bin/python scripts/bench/bench_startup.py 1000 [--runs 21] [--code OTHER/scripts]

Times `saiken --version` (start-up only), `saiken hook pre-commit` with one changed record staged
(the commit hook: opens that record and writes one access-log line) and `saiken case show` (one
decrypting read, one line). Prints the median wall and CPU (user+sys of the process) per command;
with --code, the same commands run against another checkout's package too (PYTHONPATH), so a
change can be compared with its base on the same machine, interleaved run by run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage
from faker import Faker
from pyrage import x25519

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import SAIKEN, make_repo, record_text  # noqa: E402
from saiken.core import crypto, layout, manifest  # noqa: E402


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read() if proc.stderr else b""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err.decode('utf-8', 'replace')}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--code", type=Path, help="another checkout's scripts/ folder to compare with")
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="saiken-bench-startup-"))
    root = base / "repo"
    try:
        key = make_repo(root, a.n)
        env = {"SAIKEN_IDENTITY": str(key), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(base),
               "GIT_AUTHOR_NAME": "架空 太郎", "GIT_AUTHOR_EMAIL": "otsu-01@example.invalid",
               "GIT_COMMITTER_NAME": "架空 太郎", "GIT_COMMITTER_EMAIL": "otsu-01@example.invalid",
               "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
        subprocess.run(["git", "commit", "-q", "--no-verify", "-m", "記録を登録（ベンチマーク）"], cwd=root, env=env, check=True)
        public = crypto.load_identities([key])[0].public
        data = pyrage.encrypt(record_text(1, Faker("ja_JP")).encode(), [x25519.Recipient.from_str(public)])
        (root / layout.record_rel("C-B0000001")).parent.mkdir(parents=True, exist_ok=True)
        (root / layout.record_rel("C-B0000001")).write_bytes(data)
        manifest.record_written(root, "C-B0000001", data, [crypto.RecipientKey.parse(public)])
        subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
        variants = {"this": env, **({"other": {**env, "PYTHONPATH": str(a.code)}} if a.code else {})}
        commands = {"--version": [str(SAIKEN), "--version"], "hook pre-commit": [str(SAIKEN), "hook", "pre-commit"],
                    "case show": [str(SAIKEN), "case", "show", "C-B0000001"]}
        times: dict[tuple[str, str], list[tuple[float, float]]] = {(v, c): [] for v in variants for c in commands}
        for _ in range(a.runs):
            for c, args in commands.items():
                for v, venv in variants.items():
                    times[(v, c)].append(timed(args, root, venv))
        for c in commands:
            for v in variants:
                wall = statistics.median(w for w, _ in times[(v, c)])
                cpu = statistics.median(u for _, u in times[(v, c)])
                print(f"{c:<16} {v:<6} median {wall * 1000:5.0f} ms wall {cpu * 1000:5.0f} ms cpu (n={a.runs})")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
