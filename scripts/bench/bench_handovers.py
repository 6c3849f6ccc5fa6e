#!/usr/bin/env python3
"""Benchmark `saiken ledger handovers` on a records repository with 10,000 commits.

The history is written in one `git fast-import` stream: records are tiny fake age files – a real
age header made once by pyrage for each recipient set, followed by unique filler bytes (the ledger
never decrypts, so the payload need not open). Authors alternate between a 乙 and a 甲 handler;
every 2,000 commits a handler is designated and every record re-encrypted. Records live in their
bucket folders (records/<xx>/<y>/<id>.yaml.age) and each commit rewrites the manifests of the buckets it
wrote in (records/<xx>/<y>/manifest.yaml), one line per record, as saiken keeps them.

    .venv/bin/python scripts/bench/bench_handovers.py [--commits 10000] [--records 200] [--no-manifest] [--repack] [--new-commits 100]
                                          [--keep DIR [--reuse]]

Each report is timed cold (`--no-cache`: everything read from git), on the first run (which also
writes the row cache, .git/saiken/handovers-cache) and warm (the cache is up to date); last, after
--new-commits more commits (the cache then serves all but those). fast-import packs the manifest's
versions poorly (92 MB for 10,000 commits); --repack packs them as `git gc` would (8 MB).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage
from pyrage import x25519

sys.path.insert(0, str(Path(__file__).resolve().parent))
from saiken.core import layout  # noqa: E402
from saiken.core.policy import recipient_fingerprint, recipients_hash  # noqa: E402

BASE = 1617580800  # 2021-04-05 00:00 UTC
HANDLERS = [("otsu-01", "乙", "取扱責任者"), ("kou-01", "甲", "取扱責任者"), ("otsu-02", "乙", "取扱者"),
            ("kou-02", "甲", "取扱者"), ("otsu-03", "乙", "取扱者"), ("kou-03", "甲", "取扱者")]


def handlers_yaml(keys: dict[str, str], active: int) -> bytes:
    lines = ["handlers:"]
    for n, (hid, org, role) in enumerate(HANDLERS[:active]):
        lines += [f"  - id: {hid}", f"    name: 架空 {hid}", f"    organisation: {org}", f"    role: {role}",
                  f"    public_key: {keys[hid]}", f"    email: {hid}@example.invalid",
                  "    designated: 2021-04-01", "    active: true"]
    return ("\n".join(lines) + "\n").encode()


def age_header(publics: list[str]) -> bytes:
    data = pyrage.encrypt(b"x", [x25519.Recipient.from_str(p) for p in publics])
    end = data.index(b"\n--- ") + 1
    return data[: data.index(b"\n", end) + 1]


def manifest_text(lines: dict[str, str], bucket: str) -> bytes:
    """A bucket's manifest as saiken writes it: one sorted line per record of the bucket."""
    return ("# 宛先台帳（ベンチマーク用）\n" + "".join(lines[c] + "\n" for c in sorted(lines)
                                              if layout.bucket(c) == bucket)).encode()


def manifest_line(case_id: str, blob: bytes, publics: list[str]) -> str:
    fps = ", ".join(sorted(recipient_fingerprint(p) for p in publics))
    return (f"{case_id}: {{sha256: {hashlib.sha256(blob).hexdigest()}, recipients: [{fps}], "
            f"policy: {recipients_hash(publics)}}}")


def stream(out, commits: int, records: int, with_manifest: bool) -> None:  # type: ignore[no-untyped-def]
    idents = {hid: x25519.Identity.generate() for hid, _, _ in HANDLERS}
    keys = {hid: str(i.to_public()) for hid, i in idents.items()}
    active = 2
    publics = [keys[h] for h, _, _ in HANDLERS[:active]]
    header = age_header(publics)
    present: list[str] = []
    lines: dict[str, str] = {}
    counter = 0

    def w(text: str) -> None:
        out.write(text.encode())

    def data(blob: bytes) -> None:
        w(f"data {len(blob)}\n")
        out.write(blob + b"\n")

    def write_record(cid: str) -> None:
        nonlocal counter
        counter += 1
        blob = header + counter.to_bytes(16, "big") + os.urandom(16)
        w(f"M 100644 inline {layout.record_rel(cid)}\n")
        data(blob)
        lines[cid] = manifest_line(cid, blob, publics)
        touched.add(layout.bucket(cid))

    touched: set[str] = set()
    for n in range(1, commits + 1):
        touched.clear()
        hid = HANDLERS[n % 2][0]
        when = BASE + n * 15000  # ~4 h apart: 10,000 commits span almost five fiscal years
        w(f"commit refs/heads/main\nmark :{n}\n")
        w(f"author 架空 {hid} <{hid}@example.invalid> {when} +0900\n")
        w(f"committer 架空 {hid} <{hid}@example.invalid> {when} +0900\n")
        data(f"bench {n}".encode())
        if n > 1:
            w(f"from :{n - 1}\n")
        if n == 1:
            w("M 100644 inline policies/handlers.yaml\n")
            data(handlers_yaml(keys, active))
        elif n % 2000 == 0 and active < len(HANDLERS):
            active += 1  # designate one more handler and re-encrypt everything
            publics = [keys[h] for h, _, _ in HANDLERS[:active]]
            header = age_header(publics)
            w("M 100644 inline policies/handlers.yaml\n")
            data(handlers_yaml(keys, active))
            for cid in present:
                write_record(cid)
        elif len(present) < records and (n % 3 == 0 or not present):
            present.append(f"C-B{n:07d}")
            write_record(present[-1])
        elif n % 97 == 0 and len(present) > 10:
            gone = present.pop(n % len(present))
            del lines[gone]
            w(f"D {layout.record_rel(gone)}\n")
            touched.add(layout.bucket(gone))
        else:
            write_record(present[n % len(present)])
        if n > 1 and with_manifest:  # a bucket's manifest is rewritten with every record write in it
            for b in sorted(touched):
                w(f"M 100644 inline {layout.manifest_rel(of_bucket=b)}\n")
                data(manifest_text(lines, b))
        w("\n")


def make_repo(path: Path, commits: int, records: int, with_manifest: bool, *, held_back: int,
              repack: bool) -> tuple[float, bytes]:
    """The repository with `commits` commits; the stream of `held_back` more is returned, to be
    imported later (`add_commits`) as the commits made since the last run."""
    start = time.perf_counter()
    buf = io.BytesIO()
    stream(buf, commits + held_back, records, with_manifest)
    data = buf.getvalue()
    cut = data.index(f"commit refs/heads/main\nmark :{commits + 1}\n".encode()) if held_back else len(data)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    fast_import(path, data[:cut], "--export-marks=.git/bench-marks")
    if repack:  # as `git gc` leaves a repository grown by ordinary commits (fast-import deltas poorly)
        subprocess.run(["git", "repack", "-q", "-a", "-d", "-f"], cwd=path, check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True)
    return time.perf_counter() - start, data[cut:]


def fast_import(path: Path, data: bytes, *options: str) -> None:
    if subprocess.run(["git", "fast-import", "--quiet", *options], cwd=path, input=data).returncode != 0:
        raise SystemExit("git fast-import failed")


def add_commits(path: Path, held_back: bytes) -> None:
    fast_import(path, held_back, "--import-marks=.git/bench-marks")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True)


def time_command(path: Path, args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user+sys of saiken and its git processes) seconds of each run."""
    saiken = Path(sys.executable).parent / "saiken"
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([str(saiken), "-C", str(path), *args], capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr.decode())
    return walls, cpus


def report(repo: Path, args: list[str], runs: int, what: str) -> None:
    walls, cpus = time_command(repo, ["ledger", "handovers", *args], runs)
    print(f"saiken ledger handovers {' '.join(args)} ({what}): wall median {statistics.median(walls):.2f} s "
          f"(best {min(walls):.2f} s), CPU median {statistics.median(cpus):.2f} s, {len(walls)} runs")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commits", type=int, default=10_000)
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-manifest", action="store_true", help="no manifests in the history")
    ap.add_argument("--keep", type=Path, default=None, help="build the repository here and keep it")
    ap.add_argument("--reuse", action="store_true", help="with --keep: time the repository built there before")
    ap.add_argument("--repack", action="store_true",
                    help="repack after importing, as `git gc` leaves a repository grown by ordinary commits")
    ap.add_argument("--new-commits", type=int, default=100, help="commits added before the last timing")
    opts = ap.parse_args()
    base = opts.keep or Path(tempfile.mkdtemp(prefix="saiken-bench-"))
    repo = base / "repo"
    built, held_back = 0.0, b""
    if not (opts.reuse and opts.keep and repo.exists()):
        if repo.exists():
            shutil.rmtree(repo)
        base.mkdir(parents=True, exist_ok=True)
        built, held_back = make_repo(repo, opts.commits, opts.records, not opts.no_manifest,
                                     held_back=opts.new_commits, repack=opts.repack)
    count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True).stdout
    kind = "without a manifest" if opts.no_manifest else "manifest rewritten in every commit"
    print(f"repository: {repo} ({count.strip()} commits, {kind}, built in {built:.1f} s)")
    print(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    cache = repo / ".git" / "saiken" / "handovers-cache"
    for args in (["--format", "csv"], ["--format", "md"], ["--fy", "2023", "--format", "csv"]):
        report(repo, ["--no-cache", *args], opts.runs, "cold, no cache")
        cache.unlink(missing_ok=True)
        report(repo, args, 1, "first run, writes the cache")
        report(repo, args, opts.runs, "warm, cache up to date")
    if held_back:
        time_command(repo, ["ledger", "handovers", "--format", "csv"], 1)  # every row in the cache
        add_commits(repo, held_back)
        report(repo, ["--format", "csv"], 1, f"{opts.new_commits} commits made since the cache was written")
    saiken = [str(Path(sys.executable).parent / "saiken"), "-C", str(repo), "ledger", "handovers", "--format", "csv"]
    same = subprocess.run(saiken, capture_output=True).stdout == subprocess.run([*saiken, "--no-cache"], capture_output=True).stdout
    print("the tables read with and without the cache are " + ("identical" if same else "DIFFERENT"))
    if opts.keep is None:
        shutil.rmtree(base)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
