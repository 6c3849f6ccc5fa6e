"""saiken report aggregates: figures per fiscal year from the records, written to ledger/aggregates.yaml
with no case id or name; refused without a key or with a record the key cannot open (nothing written)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_site_demo import personal_data

from conftest import ROOT, VENV_BIN, _base_env, make_records_repo
from saiken.core import crypto
from saiken.core.records import Store
from saiken.ledger import aggregates
from saiken.ledger.aggregates import CaseFigures
from saiken.core.layout import manifest_rel, record_rel

AS_OF = "2026-11-20"      # 令和8年度
YEAR = 2026


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "saiken"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=240)


def test_year_entry_counts_dues_and_payments() -> None:
    d = dt.date
    cases = [
        # 3 installments of 10,000 (one before the year, one in it, one after); paid 10,000 last year, 5,000 this year
        CaseFigures("督促中", ((d(2025, 5, 27), 10000), (d(2026, 5, 27), 10000), (d(2027, 5, 27), 10000)), 30000, None,
                    ((d(2025, 6, 1), 10000), (d(2026, 6, 1), 5000))),
        # the whole principal was demanded in the year
        CaseFigures("分納中", ((d(2030, 4, 27), 50000),), 50000, d(2026, 9, 1), ()),
        # paid off before the year: nothing due, no payment in it – not counted
        CaseFigures("完済", ((d(2024, 4, 27), 20000),), 20000, None, ((d(2024, 4, 27), 20000),)),
        # not entrusted yet – not counted
        CaseFigures("受任前", ((d(2020, 4, 27), 90000),), 90000, None, ()),
        # 時効援用: 7,000 extinguished in the year, 100 the year before
        CaseFigures("時効援用", ((d(2010, 4, 27), 7100),), 7100, None, (), ((d(2025, 6, 1), 100), (d(2026, 6, 1), 7000))),
    ]
    entry = aggregates.year_entry(cases, YEAR, d(2026, 11, 20))
    assert entry == {"fiscal_year": YEAR, "cases": 3, "by_status": {"分納中": 1, "時効援用": 1, "督促中": 1},
                     "assessed": 10000 + 50000 + 7100, "collected": 5000, "written_off": 7000,
                     "written_off_computed": 7000, "as_of": d(2026, 11, 20)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("aggregates")
    env = _base_env(tmp)
    proc = _run(["demo", "demo", "--as-of", AS_OF], tmp, env)
    assert proc.returncode == 0, proc.stderr
    root = tmp / "demo"
    key = root / ".identities" / "otsu-01.txt"
    records = dict(Store.open(root).iter_records(crypto.load_identities([key])))
    return {"root": root, "env": {**env, "SAIKEN_IDENTITY": str(key)}, "records": records}


def _expected(records: dict[str, dict[str, Any]], year: int) -> tuple[int, int, dict[str, int]]:
    """Computed here from the decrypted records, independently of saiken.ledger.aggregates."""
    start, end = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    collected, statuses = 0, {}
    for record in records.values():
        if record["status"] == "受任前":
            continue
        paid = sum(p["amount"] for p in record["claim"].get("payments") or [] if start <= p["date"] <= end)
        collected += paid
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1   # every demo case owes something
    return collected, sum(statuses.values()), dict(sorted(statuses.items()))


def test_demo_writes_the_aggregates_of_its_cases(demo: dict[str, Any]) -> None:
    years = aggregates.load_years(demo["root"])
    assert years is not None and [y["fiscal_year"] for y in years] == [YEAR]
    collected, cases, statuses = _expected(demo["records"], YEAR)
    assert (years[0]["collected"], years[0]["cases"], years[0]["by_status"]) == (collected, cases, statuses)
    assert collected > 0 and years[0]["assessed"] > collected
    assert years[0]["as_of"] == dt.date(2026, 11, 20)


def test_the_file_holds_no_case_id_or_name_and_passes_the_checks(demo: dict[str, Any]) -> None:
    text = (demo["root"] / aggregates.AGGREGATES_FILE).read_text(encoding="utf-8")
    words = {w for r in demo["records"].values() for p in r["parties"] for w in personal_data(p)}
    assert not [w for w in words | set(demo["records"]) if w in text]
    assert "C-" not in text
    proc = _run(["check", "--all", "--as-of", AS_OF], demo["root"], demo["env"])   # pii_outside reads ledger/ with the names
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "aggregates" not in proc.stdout


def test_write_keeps_comments_and_a_hand_written_write_off(demo: dict[str, Any]) -> None:
    path = demo["root"] / aggregates.AGGREGATES_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("written_off: 0", "written_off: 12345  # 区の会計で確定")
                    .replace("fiscal_years:", "# 手で書いたコメント\nfiscal_years:"), encoding="utf-8")
    shown = _run(["report", "aggregates", "--as-of", AS_OF], demo["root"], demo["env"])
    assert shown.returncode == 0 and f"fiscal_year: {YEAR}" in shown.stdout and "--write" in shown.stderr
    assert "written_off: 12345" in path.read_text(encoding="utf-8")                  # not written without --write
    wrote = _run(["report", "aggregates", "--fy", str(YEAR - 1), "--as-of", AS_OF, "--write"], demo["root"], demo["env"])
    assert wrote.returncode == 0, wrote.stderr
    assert "令和7年度" in wrote.stdout and "git add ledger/aggregates.yaml" in wrote.stdout
    again = _run(["report", "aggregates", "--as-of", AS_OF, "--write"], demo["root"], demo["env"])
    assert again.returncode == 0, again.stderr
    text = path.read_text(encoding="utf-8")
    assert "# 手で書いたコメント" in text and "saiken report aggregates --write" in text and "# 区の会計で確定" in text
    years = aggregates.load_years(demo["root"]) or []
    assert [y["fiscal_year"] for y in years] == [YEAR - 1, YEAR]
    assert years[1]["written_off"] == 12345 and years[0]["written_off"] == 0
    assert years[0]["collected"] == _expected(demo["records"], YEAR - 1)[0]


@pytest.mark.parametrize("problem", ["no key", "a record the key cannot open", "a year not begun"])
def test_bad_input_writes_nothing(demo: dict[str, Any], tmp_path: Path, problem: str) -> None:
    root, env = demo["root"], dict(demo["env"])
    path = root / aggregates.AGGREGATES_FILE
    before = path.read_bytes()
    args = ["report", "aggregates", "--as-of", AS_OF, "--write"]
    stranger = root / record_rel("C-ZZZZ9999")
    stranger.parent.mkdir(parents=True, exist_ok=True)
    if problem == "no key":
        env["SAIKEN_IDENTITY"] = str(tmp_path / "missing.txt")
    elif problem == "a record the key cannot open":
        _, public = crypto.generate_identity()
        stranger.write_bytes(crypto.encrypt(b"case_id: C-ZZZZ9999\n", [crypto.RecipientKey.parse(public)]))
    else:
        args += ["--fy", str(YEAR + 1)]
    try:
        proc = _run(args, root, env)
    finally:
        stranger.unlink(missing_ok=True)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("エラー") and "対処" in proc.stderr, proc.stderr
    assert {"no key": "鍵ファイルがありません", "a record the key cannot open": record_rel("C-ZZZZ9999"),
            "a year not begun": "まだ始まっていません"}[problem] in proc.stderr
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".") and "aggregates" in p.name]  # no temp left


INVOKED = """\
# 架空の人物です（テスト用）。
case_id: C-ENJO0001
status: 時効援用
parties:
  - {id: p1, role: borrower, name: {family: 架空, given: 一郎}}
  - {id: p2, role: guarantor, name: {family: 架空, given: 花子}}
claim:
  contract_date: 2012-03-15
  principal: 120000
  repayment: {method: 年賦, first_due: 2014-04-27, count: 12}
  payments:
    - {date: 2014-04-27, amount: 10000}
history:
  - {at: 2026-06-01 10:00, kind: 時効援用, by: otsu-01, party: p1, note: 内容証明で援用の通知（架空）}
"""


def test_minpo_145_write_off_is_what_the_borrower_invocation_extinguished(tmp_path: Path) -> None:
    repo = make_records_repo(tmp_path)
    repo.saiken("case", "new", "--from", "-", input=INVOKED, check=True)
    res = repo.saiken("report", "aggregates", "--as-of", AS_OF, "--write")
    assert res.returncode == 1 and "policies/limitation.yaml" in res.stderr      # 援用 needs the rules
    shutil.copy(ROOT / "policies" / "limitation.yaml", repo.root / "policies" / "limitation.yaml")
    res = repo.saiken("report", "aggregates", "--as-of", AS_OF, "--write")
    assert res.returncode == 0, res.stderr
    years = aggregates.load_years(repo.root) or []
    # 年賦 from 2014-04-27, old law, 10 years: on 2026-06-01 第2回〜第3回 (2015, 2016-04-27) had completed
    # – 第1回 was paid – so 20,000円 was extinguished; 第4回 (2017-04-27) onwards had not.
    assert (years[0]["written_off"], years[0]["written_off_computed"]) == (20000, 20000)

