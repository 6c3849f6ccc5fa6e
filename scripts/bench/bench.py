#!/usr/bin/env python3
"""Benchmark: `saiken case list`, `saiken worklist`, `saiken recipients` and `saiken rekey` over many fictional records.

    .venv/bin/python scripts/bench/bench.py [-n 10000] [--keep]

Builds a records repository in a temp dir with N fictional (架空) records – plaintext generated in
memory and encrypted with pyrage, not through the CLI – then times the real `saiken` console script:
`case list`, `worklist` (every record's limitation, per installment and person), `recipients`, and
`rekey` after a second handler is added. Peak RSS is each command's
own (os.wait4 rusage). Targets from issue 2: list 10,000 under 10 s, rekey 10,000 under 30 s with
constant memory (compare the RSS at -n 1000 and -n 10000).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from saiken.core import crypto, layout, manifest  # noqa: E402

SAIKEN = Path(sys.executable).parent / "saiken"
FAMILY = ["架空", "仮野", "試田", "例川", "見本", "模擬", "空山", "虚木"]
GIVEN = ["一郎", "花子", "次郎", "桜", "太郎", "恵", "健", "由美"]
KINDS = ["督促状送付", "電話", "面談", "来所", "入金", "文書受領", "メモ", "住所調査"]
TARGETS = {"case list": 10.0, "rekey": 30.0}


def fictional_record(case_id: str, rng: random.Random) -> str:
    """One plausible record (架空の人物), 2–9 KB, valid against policies/information-items.yaml."""
    principal = rng.randrange(50, 300) * 10000
    payments = [f"    - {{date: {2016 + i // 12}-{i % 12 + 1:02d}-27, amount: {rng.choice([5000, 9000, 12000])}}}"
                for i in range(rng.randrange(0, 90))]
    history = [f"  - {{at: 20{rng.randrange(16, 25)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} 10:00, "
               f"kind: {rng.choice(KINDS)}, by: otsu-01, party: p1, counterpart: 本人, "
               f"note: 架空の経過記録です。分納の相談があり、次回の連絡日を調整した（第{i + 1}回）。}}"
               for i in range(rng.randrange(3, 30))]
    family, given = rng.choice(FAMILY), rng.choice(GIVEN)
    return "\n".join([
        "# 架空の人物です（ベンチマーク用）",
        f"case_id: {case_id}",
        f"status: {rng.choice(['督促中', '交渉中', '分納中'])}",
        "parties:",
        "  - id: p1",
        "    role: borrower",
        f"    name: {{family: {family}, given: {given}, family_kana: カクウ, given_kana: イチロウ}}",
        f"    birth_date: 19{rng.randrange(70, 99)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 9)}",
        "    sex: 不明",
        f"    address: {{postal_code: \"160-0000\", line: 東京都新宿区架空町{rng.randrange(1, 9)}-2-3}}",
        "    contact: {phone: \"03-0000-0001\", email: fictional@example.invalid}",
        "  - id: p2",
        "    role: guarantor",
        f"    name: {{family: {family}, given: {rng.choice(GIVEN)}}}",
        "claim:",
        "  contract_date: 2012-03-15",
        f"  principal: {principal}",
        "  repayment: {method: 月賦, first_due: 2016-04-27, count: 120}",
        "  payments:" + (" []" if not payments else ""),
        *payments,
        "history:",
        *history,
        "",
    ])


def make_repo(base: Path, n: int) -> tuple[Path, dict[str, str]]:
    root = base / "repo"
    (root / "policies").mkdir(parents=True)
    for name in ("handlers.yaml", "information-items.yaml", "contract.yaml", "limitation.yaml", "worklist.yaml"):
        shutil.copy(ROOT / "policies" / name, root / "policies" / name)
    env = {**os.environ, "HOME": str(base), "XDG_CONFIG_HOME": str(base / ".config"), "LANG": "C.UTF-8"}
    env.pop("SAIKEN_PASSPHRASE_FILE", None)
    env["SAIKEN_IDENTITY"] = str(new_identity(base / "otsu-01.key"))
    public = crypto.load_identities([Path(env["SAIKEN_IDENTITY"])])[0].public
    run_measured(["handler", "add", "--id", "otsu-01", "--name", "架空 一郎", "--org", "乙", "--role", "取扱責任者",
         "--key", public], root, env)
    keys = [crypto.RecipientKey.parse(public)]
    folder = root / "records"
    folder.mkdir()
    man = manifest.Manifest({}, [])
    rng = random.Random(2021)
    for i in range(n):
        case_id = f"C-BENCH{i:06d}"
        data = crypto.encrypt(fictional_record(case_id, rng).encode(), keys)
        (root / layout.record_rel(case_id)).parent.mkdir(exist_ok=True)
        (root / layout.record_rel(case_id)).write_bytes(data)
        man.set(case_id, manifest.entry(data, keys))
    manifest.save(root, man)
    return root, env


def new_identity(path: Path) -> Path:
    secret, public = crypto.generate_identity()
    path.write_text(crypto.identity_file_text(secret, public, "bench"))
    path.chmod(0o600)
    return path


def run_measured(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float, bytes]:
    """Run the real CLI; (wall seconds, CPU seconds, peak RSS in MiB of that one process, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(SAIKEN), *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"saiken {' '.join(args)} failed ({proc.returncode})")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10000, help="number of fictional records (default 10000)")
    ap.add_argument("--keep", action="store_true", help="keep the temp repository and print its path")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="saiken-bench-"))
    try:
        t0 = time.perf_counter()
        root, env = make_repo(base, args.n)
        made = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in (root / "records").glob("*/*/*.age")) / args.n
        rows = []
        load = os.getloadavg()
        *measured, out = run_measured(["case", "list", "--format", "tsv"], root, env)
        assert out.count(b"\n") == args.n, "case list did not list every record"
        rows.append(("case list", *measured))
        *measured, out = run_measured(["worklist", "--as-of", "2026-11-20", "--format", "json"], root, env)
        assert b'"actions"' in out
        rows.append(("worklist", *measured))
        *measured, _ = run_measured(["recipients"], root, env)
        rows.append(("recipients", *measured))
        public = crypto.load_identities([new_identity(base / "otsu-02.key")])[0].public
        run_measured(["handler", "add", "--id", "otsu-02", "--name", "架空 花子", "--org", "乙",
                      "--role", "取扱者", "--key", public], root, env)
        *measured, out = run_measured(["rekey"], root, env)
        assert f"{args.n} 件を暗号化し直しました".encode() in out, out.decode()
        rows.append(("rekey", *measured))
        *measured, out = run_measured(["rekey"], root, env)
        rows.append(("rekey (nothing to do)", *measured))
        print(f"records: {args.n}, mean ciphertext {size / 1024:.1f} KiB, generated in {made:.1f} s, "
              f"CPUs: {os.cpu_count()}")
        print(f"load average before: {load[0]:.1f}, after: {os.getloadavg()[0]:.1f}")
        print(f"{'command':<24}{'wall s':>9}{'CPU s':>9}{'peak RSS MiB':>14}{'target s':>10}")
        for name, secs, cpu, rss in rows:
            target = TARGETS.get(name)
            print(f"{name:<24}{secs:>9.2f}{cpu:>9.2f}{rss:>14.1f}{(f'{target:.0f}' if target else '-'):>10}")
        if args.keep:
            print(f"repository kept: {root}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
