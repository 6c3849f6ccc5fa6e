"""Benchmark the records server (gitolite over OpenSSH) at several sizes, and the growth between them.

    .venv/bin/python scripts/bench/bench_server.py 10000 20000                    # flat: n records, n commits
    .venv/bin/python scripts/bench/bench_server.py 10000 100000 --shape records   # n records in n/100 commits
    .venv/bin/python scripts/bench/bench_server.py 10000 100000 --shape commits   # n commits, 1,000 records
    .venv/bin/python scripts/bench/bench_server.py 10000 --keep DIR

For each size: a gitolite in a temp home set up by `saiken server setup`, its records repository
written with one `git fast-import` stream by two handlers (kou-01 甲, otsu-01 乙) – fictional records
(架空, Faker ja_JP) encrypted in-process by saiken's own age writer to both (pyrage adds a
"-grease" stanza, which saiken refuses in a record's header), policies in the first commit, each
record at records/<xx>/<y>/<case-id>.yaml.age and, in the same commit, its bucket's manifest
records/<xx>/<y>/manifest.yaml rewritten with its line, as saiken writes them (saiken.core.layout) – and
an sshd of its own on a loopback port (tests/loopback_sshd.py). Then, as otsu-01 over SSH:

    clone                 git clone of the whole repository through gitolite
    push one record       saiken case new + commit + git push: gitolite's checks, the VREF, the
                          pre-receive hook (saiken hook pre-receive, no server key), the post-receive
                          step (median of --pushes)
    server sync           saiken server sync alone (gitolite's rules rewritten from main)
    check --all           in the clone: cold (--no-cache), filling the cache, warm
    ledger handovers      cold (--no-cache), first run (writes the cache), warm
    case list             every record decrypted

Wall and CPU seconds for each (CPU: user+sys of everything the step started on this side; the
server's share of a clone or push runs under sshd and shows in wall time only).

The shapes: `flat` is a ward's real history, n records written by n commits (one each). Records
live in 4,096 bucket folders on two levels (records/<xx>/<y>/, 256 x 16), so a commit that writes
one record writes the records/ tree (256 entries), a first-level tree (16) and one bucket tree and
manifest of n/4,096 records (2-3 at 10,000, 24 at 100,000) – not, as when every record sat in one
flat folder with one manifest, a tree and a manifest of every record, which made git's storage,
clone, push and `ledger handovers` cost records x commits (and with one level of 256 folders,
bucket manifests of n/256 lines, 3.2 GB of them read by handovers at 100,000). `records` and
`commits` grow one of the two and keep the other small.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from faker import Faker
from pyrage import x25519

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
import loopback_sshd  # noqa: E402
from bench_check import ROOT, SAIKEN, record_text, run_timed  # noqa: E402

from saiken.core import crypto, layout, manifest  # noqa: E402

BASE = 1617580800  # 2021-04-05 00:00 UTC
HANDLERS = (("kou-01", "甲"), ("otsu-01", "乙"))


def handlers_yaml(ages: dict[str, str], sshs: dict[str, str]) -> bytes:
    lines = ["handlers:"]
    for hid, org in HANDLERS:
        lines += [f"  - id: {hid}", f"    name: 架空 {hid}", f"    organisation: {org}", "    role: 取扱責任者",
                  f"    public_key: {ages[hid]}", f"    email: {hid}@example.invalid", f"    ssh_key: {sshs[hid]}",
                  "    designated: 2021-04-01", "    active: true"]
    return ("\n".join(lines) + "\n").encode()


SHAPES = {
    # name: (records, commits) for a size n
    "flat": lambda n: (n, n),            # every commit adds one record: what a ward's history looks like
    "records": lambda n: (n, n // 100),  # n records, 100 written by each commit
    "commits": lambda n: (1000, n),      # n commits over 1,000 records (new ones first, then changes)
}


def history(out: IO[bytes], records: int, commits: int, ages: dict[str, str], sshs: dict[str, str]) -> None:
    """The fast-import stream: `commits` commits writing `records` records between them (a share of
    new ones each, or once all exist, a change to one), policies first; each commit also rewrites
    the manifests of the buckets it wrote records in.

    Written in three parts so that the pack holds what a server fed by pushes holds: the records
    (blobs with marks), then every bucket's manifest versions one bucket after the other, then the
    commits naming them by mark. fast-import stores a blob as a delta against the blob written just
    before it, so each manifest version becomes a delta against its bucket's previous version – as a
    push sends it (a thin pack deltifies it against the version the server has). Interleaved in
    commit order, each would be stored whole: 1.2 GB at 100,000, which neither a real server holds
    nor `git repack -f` repairs (its delta window of 10 sees other buckets' manifest.yaml of the same
    size, not its own bucket's)."""
    fake = Faker("ja_JP")
    Faker.seed(1)
    random.seed(1)
    keys = [crypto.RecipientKey.parse(ages[hid]) for hid, _ in HANDLERS]
    per_commit = max(1, records // commits)
    written = 0
    marks = commits  # commits are :1 … :commits; blobs are numbered after them

    def data(blob: bytes) -> None:
        out.write(f"data {len(blob)}\n".encode() + blob + b"\n")

    def blob(content: bytes) -> int:
        nonlocal marks
        marks += 1
        out.write(f"blob\nmark :{marks}\n".encode())
        data(content)
        return marks

    # 1. the records, and what each commit writes
    files: list[list[tuple[str, int]]] = [[] for _ in range(commits + 1)]  # per commit: (path, mark)
    events: dict[str, list[tuple[int, str, manifest.Entry]]] = {}  # per bucket: (commit, case id, line)

    def record(c: int, i: int, version: int) -> None:
        case_id = f"C-B{i:07d}"
        text = record_text(i, fake) + ("" if version == 0 else f"# 架空の変更 {version}\n")
        cipher = crypto.encrypt(text.encode(), keys)
        events.setdefault(layout.bucket(case_id), []).append((c, case_id, manifest.entry(cipher, keys)))
        files[c].append((layout.record_rel(case_id), blob(cipher)))

    for c in range(1, commits + 1):
        if written < records:
            todo = records - written if c == commits else min(per_commit, records - written)
            for _ in range(todo):
                written += 1
                record(c, written, 0)
        else:
            record(c, 1 + c % records, c)
    # 2. each bucket's manifest, version after version
    for b in sorted(events):
        book = manifest.Manifest({}, [])
        pending = events[b]
        for n, (c, case_id, entry) in enumerate(pending):
            book.set(case_id, entry)
            if n + 1 == len(pending) or pending[n + 1][0] != c:  # the version the commit leaves
                files[c].append((layout.manifest_rel(of_bucket=b), blob(book.text().encode())))
    del events
    # 3. the commits
    for c in range(1, commits + 1):
        hid = HANDLERS[c % 2][0] if c > 1 else "kou-01"
        when = BASE + c * (150_000_000 // commits)  # the same span of time whatever the size
        out.write(f"commit refs/heads/main\nmark :{c}\n".encode())
        out.write(f"author 架空 {hid} <{hid}@example.invalid> {when} +0900\n".encode())
        out.write(f"committer 架空 {hid} <{hid}@example.invalid> {when} +0900\n".encode())
        data(f"記録を更新（{c}）".encode())
        if c > 1:
            out.write(f"from :{c - 1}\n".encode())
        else:
            for path in sorted((ROOT / "policies").glob("*.yaml")):
                if path.name == "paths.yaml":  # saiken's own allow-list (tests/**…): a records repository uses the built-in one
                    continue
                out.write(f"M 100644 inline policies/{path.name}\n".encode())
                data(handlers_yaml(ages, sshs) if path.name == "handlers.yaml" else path.read_bytes())
        for path, mark in files[c]:
            out.write(f"M 100644 :{mark} {path}\n".encode())
        files[c] = []
        out.write(b"\n")


class Timer:
    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: dict[str, tuple[float, float]] = {}

    def add(self, label: str, wall: float, cpu: float) -> None:
        self.rows[label] = (wall, cpu)
        print(f"  {label:<34} {wall:8.2f} s wall {cpu:8.2f} s cpu", flush=True)

    def run(self, label: str, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        wall, cpu, proc = run_timed(args, cwd, env)
        if proc.returncode != 0:
            raise SystemExit(f"{label}: {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        self.add(label, wall, cpu)


def bench(n: int, shape: str, base: Path, pushes: int) -> Timer:
    records, commits = SHAPES[shape](n)
    print(f"N = {n:,} ({shape}): {records:,} records, {commits:,} commits "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)", flush=True)
    timer = Timer(n)
    home, keys = base / "gitolite", base / "keys"
    home.mkdir(parents=True)
    env = {"PATH": f"{SAIKEN.parent}:/usr/sbin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(home)}
    idents = {hid: x25519.Identity.generate() for hid, _ in HANDLERS}
    ages = {hid: str(i.to_public()) for hid, i in idents.items()}
    sshs = {hid: loopback_sshd.ssh_keygen(keys / hid) for hid, _ in HANDLERS}
    for hid, ident in idents.items():
        path = keys / f"{hid}.age"
        path.write_text(crypto.identity_file_text(str(ident), ages[hid], "bench"))
        path.chmod(0o600)
    timer.run("saiken server setup", [str(SAIKEN), "server", "setup"], base, env)
    bare = home / "repositories" / "records.git"
    start = time.perf_counter()
    # streamed: the bucket manifests of every commit add up to gigabytes at 100,000
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=bare, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    history(importer.stdin, records, commits, ages, sshs)
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    made = time.perf_counter() - start
    subprocess.run(["git", "repack", "-q", "-a", "-d"], cwd=bare, check=True)
    print(f"  (history made and imported in {made:.1f} s, repacked in {time.perf_counter() - start - made:.1f} s)",
          flush=True)
    timer.run("server sync (rules from main)", [str(SAIKEN), "server", "sync"], base, env)
    sshd = loopback_sshd.start(base / "sshd", home)
    try:
        clone = base / "clone"
        user = {**env, "HOME": str(base), "SAIKEN_IDENTITY": str(keys / "otsu-01.age"),
                "GIT_SSH_COMMAND": sshd.ssh_command(keys / "otsu-01"),
                "GIT_AUTHOR_NAME": "架空 otsu-01", "GIT_AUTHOR_EMAIL": "otsu-01@example.invalid",
                "GIT_COMMITTER_NAME": "架空 otsu-01", "GIT_COMMITTER_EMAIL": "otsu-01@example.invalid"}
        timer.run("clone over SSH", ["git", "clone", "-q", sshd.url("records"), str(clone)], base, user)
        push_times = [push_one(clone, user, n + k) for k in range(1, pushes + 1)]
        timer.add(f"push one record (median of {pushes})", statistics.median(w for w, _ in push_times),
                  statistics.median(c for _, c in push_times))
        saiken = [str(SAIKEN)]
        timer.run("check --all cold (--no-cache)", [*saiken, "check", "--all", "--no-cache"], clone, user)
        timer.run("check --all filling the cache", [*saiken, "check", "--all"], clone, user)
        timer.run("check --all warm", [*saiken, "check", "--all"], clone, user)
        timer.run("ledger handovers cold (--no-cache)", [*saiken, "ledger", "handovers", "--no-cache"], clone, user)
        timer.run("ledger handovers first (cache)", [*saiken, "ledger", "handovers"], clone, user)
        timer.run("ledger handovers warm", [*saiken, "ledger", "handovers"], clone, user)
        timer.run("case list", [*saiken, "case", "list"], clone, user)
    finally:
        sshd.stop()
    return timer


def push_one(clone: Path, env: dict[str, str], i: int) -> tuple[float, float]:
    """One new record, committed and pushed through the server's hooks: (wall, cpu) of the push."""
    fake = Faker("ja_JP")
    Faker.seed(i)
    for args in (["case", "new", "--from", "-"],):
        proc = subprocess.run([str(SAIKEN), *args], cwd=clone, env=env, input=record_text(i, fake),
                              capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(proc.stderr)
    subprocess.run(["git", "add", "-A"], cwd=clone, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"事案 C-B{i:07d} を登録"], cwd=clone, env=env, check=True)
    wall, cpu, proc = run_timed(["git", "push", "-q", "origin", "main"], clone, env)
    if proc.returncode:
        raise SystemExit(f"push failed:\n{proc.stderr}")
    return wall, cpu


def growth(small: Timer, large: Timer) -> None:
    factor = large.n / small.n
    print(f"\ngrowth from {small.n:,} to {large.n:,} (N x{factor:.0f}):")
    for label, (wall, cpu) in large.rows.items():
        w0, c0 = small.rows[label]
        ratio = wall / w0 if w0 else float("inf")
        flag = "  <- faster than linear" if ratio > factor * 1.5 else ""
        print(f"  {label:<34} wall x{ratio:6.1f}  cpu x{(cpu / c0 if c0 else 0):6.1f}{flag}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", type=int, nargs="+")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="flat",
                    help="flat: n records, n commits (each adds one, as a ward's history); "
                         "records: n records in n/100 commits; commits: n commits over 1,000 records")
    ap.add_argument("--pushes", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="build under this folder and keep it")
    a = ap.parse_args()
    timers = []
    for n in a.sizes:
        base = (a.keep / f"{a.shape}-{n}") if a.keep else Path(tempfile.mkdtemp(prefix=f"saiken-bench-server-{n}-"))
        try:
            timers.append(bench(n, a.shape, base, a.pushes))
        finally:
            if a.keep is None:
                shutil.rmtree(base, ignore_errors=True)
    if len(timers) > 1:
        growth(timers[0], timers[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
