"""Benchmark `saiken check --all` on N fictional records (架空, Faker ja_JP), cold and warm.

    .venv/bin/python scripts/bench/bench_check.py 10000            # repository in a temp dir, removed after
    .venv/bin/python scripts/bench/bench_check.py 10000 --keep DIR
    .venv/bin/python scripts/bench/bench_check.py 10000 --handlers 4   # records for 4 active handlers
    PYTHONPATH=OTHER/scripts .venv/bin/python scripts/bench/bench_check.py 10000   # another version's code

Records are encrypted in-process by saiken's own writer (`crypto.encrypt`, whose stanzas the cold
check proves with the runner's key) and never exist as plaintext files; the runner holds the key
of the first of `--handlers` active handlers (default 3), the others are public keys only. Prints wall and CPU
(user+sys of the child) seconds for: the cold run (--no-cache), a warm run (no changes), a run
after one record changed, and `age -d` per file on a sample, scaled to N, for comparison.

It also prints the floor: a process that only reads, decrypts (pyrage) and parses (yaml-rs) every
record on every core, checking nothing. No cold check can be faster than that on this machine, so
it shows what ratio to `age -d` is within reach at all.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faker import Faker

from saiken.core import crypto, layout, manifest

ROOT = Path(__file__).resolve().parents[2]
SAIKEN = Path(sys.executable).parent / "saiken"
NOTES = ["分納の相談あり", "不在のため再度架電予定", "来月末までに入金すると回答", "督促状を送付した",
         "保証人に状況を説明した", "合意書の案を郵送した", "住所変更の届出を依頼した"]


def record_text(i: int, fake: Faker) -> str:
    history = "\n".join(f"  - {{at: 2021-05-{d:02d} 10:00, kind: 電話, by: otsu-01, party: p1, note: {random.choice(NOTES)}}}"
                        for d in range(1, 1 + random.randint(3, 25)))
    return f"""case_id: C-B{i:07d}
status: 督促中
parties:
  - id: p1
    role: borrower
    name: {{family: {fake.last_name()}, given: {fake.first_name()}}}
    birth_date: 1995-04-02
    address: {{postal_code: "160-0000", line: {fake.address()}}}
    contact: {{phone: "03-5555-{i % 10000:04d}"}}
  - id: p2
    role: guarantor
    name: {{family: {fake.last_name()}, given: {fake.first_name()}}}
claim:
  contract_date: 2012-03-15
  principal: 1080000
  repayment: {{method: 月賦, first_due: 2016-04-27, count: 120}}
history:
{history}
"""


def make_repo(root: Path, n: int, handlers: int = 3, more_handlers: str = "", also_to: tuple[str, ...] = ()) -> Path:
    """N records encrypted to a new identity (returned) of otsu-01, to `handlers - 1` more 乙 handlers and
    to `also_to`, the public keys of the handlers in `more_handlers` (lines of policies/handlers.yaml)."""
    (root / "policies").mkdir(parents=True)
    (root / "records").mkdir()
    for p in (ROOT / "policies").glob("*.yaml"):
        if p.name != "paths.yaml":  # a records repository: the records list, not saiken's own
            shutil.copy(p, root / "policies" / p.name)
    secret, public = crypto.generate_identity()
    key = root.parent / "bench.key"
    key.write_text(crypto.identity_file_text(secret, public, "bench"))
    key.chmod(0o600)
    publics = [public] + [crypto.generate_identity()[1] for _ in range(handlers - 1)]
    (root / "policies" / "handlers.yaml").write_text("handlers:\n" + "".join(
        f"  - {{id: otsu-{i + 1:02d}, name: 架空 太郎{i + 1}, organisation: 乙, role: {'取扱責任者' if i == 0 else '取扱者'},"
        f" public_key: {key}, designated: 2021-04-01, active: true}}\n" for i, key in enumerate(publics)) + more_handlers,
        encoding="utf-8")
    (root / ".gitignore").write_text(".saiken-cache/\n")
    fake = Faker("ja_JP")
    Faker.seed(1)
    random.seed(1)
    keys = [crypto.RecipientKey.parse(p) for p in (*publics, *also_to)]
    book = manifest.Manifest({}, [])
    for i in range(n):
        data = crypto.encrypt(record_text(i, fake).encode(), keys)
        (root / layout.record_rel(f"C-B{i:07d}")).parent.mkdir(parents=True, exist_ok=True)
        (root / layout.record_rel(f"C-B{i:07d}")).write_bytes(data)
        book.set(f"C-B{i:07d}", manifest.entry(data, keys))
    manifest.save(root, book)  # as saiken writes records: each one's recipients in its bucket's manifest
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return key


def run_timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall, cpu, process) of one command; cpu is user+sys of everything it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    wall, cpu, proc = run_timed(args, cwd, env)
    return wall, cpu, proc.returncode


def floor(root: Path, key: Path) -> int:
    """Read, decrypt and parse every record, on every core; no check at all (run as a child)."""
    import yaml_rs

    from saiken.core import bulk

    bulk.PARALLEL_MIN = 1
    identities = crypto.load_identities([key])
    paths = sorted(str(p) for p in (root / "records").glob("*/*/*.age"))

    def work(chunk: list[str]) -> int:
        for path in chunk:
            with open(path, "rb") as fh:
                yaml_rs.loads(crypto.decrypt(fh.read(), identities).decode())
        return len(chunk)
    return 0 if sum(bulk.in_chunks(work, paths)) == len(paths) else 1


def main() -> int:
    if sys.argv[1:2] == ["--floor"]:
        return floor(Path(sys.argv[2]), Path(sys.argv[3]))
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--age-sample", type=int, default=200)
    ap.add_argument("--handlers", type=int, default=3, help="active handlers each record is encrypted to")
    a = ap.parse_args()
    base = a.keep or Path(tempfile.mkdtemp(prefix="saiken-bench-"))
    root = base / "repo"
    try:
        key = make_repo(root, a.n, a.handlers)
        env = {"SAIKEN_IDENTITY": str(key), "PATH": f"{SAIKEN.parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": str(base), **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {})}
        check = [str(SAIKEN), "check", "--all"]
        cold_wall = 0.0
        for label, args in (("cold (--no-cache)", [*check, "--no-cache"]), ("cold, filling the cache", check),
                            ("warm (no change)", check)):
            wall, cpu, rc = timed(args, root, env)
            print(f"{label:<28} {wall:7.2f} s wall {cpu:7.2f} s cpu  exit {rc}")
            cold_wall = wall if label.startswith("cold (") else cold_wall
        victim = root / layout.record_rel("C-B0000001")
        victim.write_bytes(crypto.encrypt(b"case_id: C-B0000001\nstatus: x\n",
                                          [crypto.RecipientKey.parse(crypto.load_identities([key])[0].public)]))
        wall, cpu, rc = timed(check, root, env)
        print(f"{'warm, one record changed':<28} {wall:7.2f} s wall {cpu:7.2f} s cpu  exit {rc}")
        floor_wall, cpu, rc = timed([sys.executable, __file__, "--floor", str(root), str(key)], root, env)
        print(f"{'floor: open+parse, no check':<28} {floor_wall:7.2f} s wall {cpu:7.2f} s cpu  exit {rc}")
        sample = sorted((root / "records").glob("*/*/*.age"))[: a.age_sample]
        start = time.perf_counter()
        for path in sample:
            subprocess.run(["age", "-d", "-i", str(key), str(path)], capture_output=True, check=True)
        per_file = (time.perf_counter() - start) / len(sample)
        print(f"{'age -d per file (scaled)':<28} {per_file * a.n:7.2f} s wall  ({per_file * 1000:.1f} ms/file)")
        print(f"20x age -d would be {per_file * a.n / 20:.2f} s; the floor reaches {per_file * a.n / floor_wall:.1f}x,"
              f" the cold check {per_file * a.n / cold_wall:.1f}x")
    finally:
        if a.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
