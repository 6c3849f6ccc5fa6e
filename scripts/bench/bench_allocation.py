#!/usr/bin/env python3
"""Benchmark: the 民法489条 allocation with damages, per record, and what it adds to the limitation
engine (which the worklist runs for every record).

    .venv/bin/python scripts/bench/bench_allocation.py [-n 2000] [--as-of 2026-04-01]

Records are bench.py's fictional ones (架空: 120 monthly installments, 0–89 payments), parsed in
memory – no encryption, no CLI –, so the figures are the computation alone. Prints milliseconds per
record for: allocation.compute; limitation.assess without the damages policy (payments to principal
only, as before); and limitation.assess with it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import fictional_record  # noqa: E402

from saiken.casework import allocation, damages, limitation  # noqa: E402


def records(n: int) -> list[dict]:
    """YAML as saiken reads it: dates as dates, history times as date-times."""
    rng = random.Random(2021)
    out = []
    for i in range(n):
        rec = yaml.safe_load(fictional_record(f"C-BENCH{i:06d}", rng))
        for entry in rec["history"]:
            entry["at"] = dt.datetime.fromisoformat(entry["at"])
        out.append(rec)
    return out


def per_record(label: str, n: int, run) -> None:  # type: ignore[no-untyped-def]
    start = time.process_time()
    run()
    ms = (time.process_time() - start) * 1000 / n
    print(f"{label:<44} {ms:7.2f} ms/record")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=2000, help="number of fictional records (default 2000)")
    ap.add_argument("--as-of", default="2026-04-01", help="the as-of date (default 2026-04-01)")
    args = ap.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    recs = records(args.n)
    rules = limitation.load_rules(ROOT)
    policy = damages.load(ROOT)
    without = dataclasses.replace(rules, damages=None)
    print(f"{args.n} records, as of {as_of}, payments per record {sum(len(r['claim']['payments']) for r in recs) / args.n:.1f}")
    per_record("allocation.compute (489条, damages)", args.n, lambda: [allocation.compute(r, policy, as_of) for r in recs])
    per_record("limitation.assess, payments to principal only", args.n,
               lambda: [limitation.assess(r, without, as_of) for r in recs])
    per_record("limitation.assess with the allocation", args.n, lambda: [limitation.assess(r, rules, as_of) for r in recs])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
