"""遅延損害金 and 入金の充当 – worked cases a lawyer can check by hand, and `saiken case allocation`.

Every figure below is worked out in the comment beside it: principal × rate × days / 365, the days
counted from the day after the due date to the day of payment (or the as-of date), both included,
rounded down to the yen per installment. The rates are those of the repository's own
policies/damages.yaml (5 % for a default that began before 2020-04-01, 3 % after).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, RecordsRepo
from saiken.casework import allocation, damages, limitation
from saiken.casework.limitation.events import load_rules
from saiken.errors import SaikenError

D = dt.date.fromisoformat
RULES = load_rules(ROOT)
POLICY = damages.load(ROOT)
NEW = "2020-06-01"   # a loan contract under the new law


def record(first_due: str, *, count: int = 1, principal: int = 100000, contract: str = NEW,
           payments: list[tuple[str, int]] = (), costs: list[tuple[str, int]] = (),
           demanded_on: str | None = None) -> dict[str, Any]:
    """A fictional case (架空): one borrower, a monthly loan."""
    claim: dict[str, Any] = {
        "contract_date": D(contract), "principal": principal,
        "repayment": {"method": "月賦", "first_due": D(first_due), "count": count},
        "payments": [{"date": D(d), "amount": a} for d, a in payments],
        "costs": [{"date": D(d), "amount": a, "note": "督促手続費用"} for d, a in costs]}
    if demanded_on:
        claim["demanded_on"] = D(demanded_on)
    return {"case_id": "C-TEST0001", "status": "督促中", "parties": [{"id": "p1", "role": "borrower",
                                                                   "name": {"family": "架空"}}],
            "claim": claim, "history": [], "agreements": []}


def position(rec: dict[str, Any], as_of: str) -> allocation.Position:
    report = limitation.assess(rec, RULES, D(as_of))
    assert report.allocation is not None
    return report.allocation


# --- the rate and the counting ---------------------------------------------------------------------

def test_minpo_412_damages_run_from_the_day_after_the_due_date() -> None:
    assert position(record("2021-04-27"), "2021-04-27").damages_left == 0     # the due date itself: not late
    assert position(record("2021-04-27"), "2021-04-28").damages_left == 8     # 100,000 × 3% × 1/365 = 8.2
    paid_on_time = position(record("2021-04-27", payments=[("2021-04-27", 100000)]), "2022-04-27")
    assert paid_on_time.damages_left == 0 and paid_on_time.principal_left == 0


@pytest.mark.parametrize("due, percent, expected", [
    ("2020-03-30", 5, 5000),  # default began 2020-03-31: old law, 年5分 (改正附則17条3項)
    ("2020-03-31", 3, 3000),  # default began 2020-04-01: new law, 年3% (民法404条2項)
], ids=["default-began-before-2020-04-01", "default-began-on-2020-04-01"])
def test_minpo_419_kaisei_fusoku_17_3_rate_of_the_first_day_of_default(due: str, percent: int, expected: int) -> None:
    # one year later: 365 days, 100,000 × rate – the rate stays for the whole delay (419条1項)
    end = (D(due) + dt.timedelta(days=365)).isoformat()
    p = position(record(due), end)
    assert p.line(1).rate is not None and p.line(1).rate.percent == percent
    assert p.damages_left == expected


def test_minpo_404_a_year_is_365_days_in_a_leap_year_too() -> None:
    # 2024 is a leap year: 2023-12-31 → 2024-12-31 is 366 days; 100,000 × 3% × 366/365 = 3,008.2
    assert position(record("2023-12-31"), "2024-12-31").damages_left == 3008


def test_rounding_is_down_per_installment() -> None:
    # rounding each installment, not the sum (which would be 506.8 → 506)
    p = position(record("2021-04-27", count=3, principal=99999), "2021-07-28")
    # 33,333 × 3% × days/365: 第1回 92 days = 252.0, 第2回 62 days = 169.8, 第3回 31 days = 84.9
    assert [x.damages_accrued for x in p.lines] == [252, 169, 84]
    assert p.damages_left == 505


def test_minpo_404_no_statutory_rate_known_for_a_default_after_the_last_period() -> None:
    with pytest.raises(SaikenError, match="2029-04-01 に遅滞が始まった割賦金の法定利率が書かれていません"):
        position(record("2029-03-31"), "2029-05-01")
    # an installment not yet in default needs no rate
    assert position(record("2029-03-31"), "2029-03-31").damages_left == 0


# --- 民法489条: costs → damages → principal, oldest first --------------------------------------------

def test_minpo_489_payment_goes_to_damages_first() -> None:
    # 100,000 due 2021-04-27; 50,000 paid 2022-04-27 (365 days late): damages 3,000, then principal 47,000
    p = position(record("2021-04-27", payments=[("2022-04-27", 50000)]), "2023-04-27")
    row = p.rows[0]
    assert (row.costs, row.damages, row.principal, row.surplus) == (0, 3000, 47000, 0)
    assert (row.damages_left, row.principal_left) == (0, 53000)
    # the next year's damages run on the 53,000 left: 53,000 × 3% = 1,590
    assert (p.principal_left, p.damages_left) == (53000, 1590)


def test_minpo_489_costs_before_damages_before_principal() -> None:
    # costs 1,000 (2022-01-10); 2,500 paid 2022-04-27: 1,000 to costs, 1,500 of the 3,000 damages, none to principal
    p = position(record("2021-04-27", payments=[("2022-04-27", 2500)], costs=[("2022-01-10", 1000)]), "2022-04-27")
    row = p.rows[0]
    assert (row.costs, row.damages, row.principal) == (1000, 1500, 0)
    assert (row.costs_left, row.damages_left, row.principal_left) == (0, 1500, 100000)


def test_minpo_489_a_cost_incurred_after_the_payment_is_not_paid_by_it() -> None:
    p = position(record("2021-04-27", payments=[("2021-04-27", 100000)], costs=[("2022-01-10", 1000)]), "2022-02-01")
    assert p.rows[0].costs == 0 and p.costs_left == 1000 and p.principal_left == 0


def test_minpo_489_2_oldest_installment_first_within_damages_and_principal() -> None:
    # 第1回 50,000 due 2021-04-27, 第2回 50,000 due 2021-05-27; paid 2022-04-27:
    #   damages 第1回 50,000 × 3% × 365/365 = 1,500; 第2回 × 335/365 = 1,376.7 → 1,376
    small = position(record("2021-04-27", count=2, payments=[("2022-04-27", 2000)]), "2022-04-27")
    assert [(x.damages_paid, x.damages_unpaid) for x in small.lines] == [(1500, 0), (500, 876)]
    assert [x.principal_paid for x in small.lines] == [0, 0]
    big = position(record("2021-04-27", count=2, payments=[("2022-04-27", 60000)]), "2022-04-27")
    # 2,876 to damages, then 第1回's 50,000, then 7,124 of 第2回
    assert [x.principal_paid for x in big.lines] == [50000, 7124]
    assert big.lines[0].settled_on == D("2022-04-27") and big.lines[1].settled_on is None


def test_minpo_136_a_payment_beyond_what_is_due_pays_the_next_installment_early() -> None:
    p = position(record("2021-04-27", count=2, payments=[("2021-04-27", 80000)]), "2021-05-27")
    assert [x.principal_paid for x in p.lines] == [50000, 30000]
    assert p.damages_left == 0  # 第2回's due date is the as-of date: not late yet


def test_a_payment_beyond_the_whole_debt_is_a_surplus() -> None:
    p = position(record("2021-04-27", payments=[("2021-04-27", 100500)]), "2021-05-01")
    assert p.rows[0].surplus == 500 and p.surplus == 500 and p.total_left == 0


def test_accelerated_installments_accrue_from_the_day_after_the_acceleration() -> None:
    # 12 × 10,000 from 2021-05-27; the whole balance demanded on 2021-09-15 (期限の利益喪失).
    # As of 2021-09-25: 第1〜4回 (due 05-27 … 08-27) run from their due dates, 第5〜12回 from 2021-09-16:
    #   第5回: 10,000 × 3% × 10/365 = 8.2 → 8, and the same for each of 第6〜12回
    rec = record("2021-05-27", count=12, principal=120000, demanded_on="2021-09-15")
    p = position(rec, "2021-09-25")
    assert [x.start for x in p.lines[4:]] == [D("2021-09-15")] * 8
    assert [x.damages_accrued for x in p.lines[4:]] == [8] * 8
    # 第1回: 2021-05-27 → 2021-09-25 is 121 days: 10,000 × 3% × 121/365 = 99.4
    assert p.lines[0].damages_accrued == 99


def test_the_limitation_engine_sees_the_principal_that_489_leaves_unpaid() -> None:
    # 10,000 paid a year late on a 10,000 installment: 300 go to damages, so 300 of principal stay unpaid –
    # the installment is not 完済, and its limitation still runs (renewed by the payment, 152条1項)
    rec = record("2021-04-27", principal=10000, payments=[("2022-04-27", 10000)])
    report = limitation.assess(rec, RULES, D("2022-05-01"))
    got = report.outcomes[0]
    assert got.status != limitation.PAID and got.unpaid == 300
    assert got.expiry == D("2027-04-27")


# --- the policy file ------------------------------------------------------------------------------------

def write_policy(tmp_path: Path, text: str) -> Path:
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "damages.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def shipped(replace: tuple[str, str] | None = None) -> str:
    text = (ROOT / "policies" / "damages.yaml").read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    return text


def test_the_shipped_ward_rate_is_marked_to_be_confirmed() -> None:
    assert POLICY.ward_confirmed is False and POLICY.ward == ()
    assert "要確認" in POLICY.notes()[0] and "ward.confirmed" in POLICY.notes()[0]


def test_minpo_420_a_ward_rate_replaces_the_statutory_rate(tmp_path: Path) -> None:
    root = write_policy(tmp_path, shipped(("  rates: []", "  rates:\n    - {percent: 10.75, basis: 架空の条例第9条}")))
    policy = damages.load(root)
    # 100,000 × 10.75% × 365/365 = 10,750, whatever the date
    rec = record("2019-04-27")
    assert allocation.compute(rec, policy, D("2020-04-26")).damages_left == 10750
    assert "要確認" in policy.notes()[0] and "ward.rates" in policy.notes()[0]
    confirmed = damages.load(write_policy(tmp_path, shipped(("confirmed: false", "confirmed: true"))))
    assert confirmed.notes() == []


@pytest.mark.parametrize("replace, message", [
    (("percent: 5,", "percent: 年5%,"), "percent は 0 から 100 までの数で書いてください（今は 年5%）"),
    (("{from: 2023-04-01,", "{from: 2023-04-02,"), "statutory[1] と statutory[2] の期が続いていません"),
    (("  confirmed: false", "  confirmed: いいえ"), "ward.confirmed は true か false です"),
    (("basis: 民法404条2項（第1期）", "basis: ''"), "basis（根拠: 条文・告示・条例の条）がありません"),
], ids=["percent-text", "gap", "confirmed-text", "no-basis"])
def test_a_broken_policy_file_is_named(tmp_path: Path, replace: tuple[str, str], message: str) -> None:
    with pytest.raises(SaikenError, match=re.escape(message)) as exc:
        damages.load(write_policy(tmp_path, shipped(replace)))
    assert "policies/damages.yaml" in (exc.value.where or "")


# --- saiken case allocation ------------------------------------------------------------------------------

CLI_CASE = """\
# 架空の人物です（テスト用）
case_id: C-ALLOC001
status: 督促中
parties:
  - id: p1
    role: borrower
    name: {family: 架空, given: 一郎}
claim:
  contract_date: 2020-06-01
  principal: 100000
  repayment: {method: 月賦, first_due: 2021-04-27, count: 2}
  payments:
    - {date: 2022-04-27, amount: 2000}
    - {date: 2022-05-27, amount: 60000}
  costs:
    - {date: 2022-01-10, amount: 500, note: 督促手続費用}
history: []
"""


@pytest.fixture
def alloc_repo(records_repo: RecordsRepo) -> RecordsRepo:
    for name in ("limitation.yaml", "damages.yaml"):
        shutil.copy(ROOT / "policies" / name, records_repo.root / "policies" / name)
    records_repo.saiken("case", "new", "--from", "-", input=CLI_CASE, check=True)
    return records_repo


def test_cli_allocation_table(alloc_repo: RecordsRepo) -> None:
    res = alloc_repo.saiken("case", "allocation", "C-ALLOC001", "--as-of", "2022-06-30")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    # 2022-04-27: 500 costs, then 1,500 of 第1回's 1,500 damages, 0 of 第2回's 1,376 (oldest first)
    # 2022-05-27: damages since: 第1回 50,000 × 3% × 30/365 = 123.2 → 1,623 in all, 1,500 paid → 123;
    #   第2回 50,000 × 3% × 365/365 = 1,500 → 1,500; 1,623 to damages, 50,000 to 第1回, 8,377 to 第2回
    assert "2022-04-27      2,000      500     1,500          0        0     1,376     100,000" in out
    assert "2022-05-27     60,000        0     1,623     58,377        0         0      41,623" in out
    # then 41,623 × 3% × 34/365 = 116.3 → 116 by 2022-06-30
    assert "令和4年6月30日現在の残高: 元金 金41,623円、遅延損害金 金116円、費用 金0円、合計 金41,739円" in out
    assert "費用 → 遅延損害金 → 元金（それぞれ古いものから。民法489条）" in out
    assert "注意: 区の条例・貸付契約に遅延損害金の率の定めがあるかは要確認のまま" in out
    assert "架空" not in out


def test_cli_allocation_json(alloc_repo: RecordsRepo) -> None:
    res = alloc_repo.saiken("case", "allocation", "C-ALLOC001", "--as-of", "2022-06-30", "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["balance"] == {"principal": 41623, "damages": 116, "costs": 0, "total": 41739, "surplus": 0}
    assert [(p["damages"], p["principal"]) for p in data["payments"]] == [(1500, 0), (1623, 58377)]
    assert data["installments"][0]["rate_percent"] == "3" and data["installments"][0]["settled_on"] == "2022-05-27"


def test_cli_allocation_without_the_damages_policy_says_how_to_fix(alloc_repo: RecordsRepo) -> None:
    (alloc_repo.root / "policies" / "damages.yaml").unlink()
    res = alloc_repo.saiken("case", "allocation", "C-ALLOC001")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "policies/damages.yaml: 遅延損害金の率のファイル（ポリシーファイル）がありません" in res.stderr
    assert "対処: saiken のリポジトリにある policies/damages.yaml" in res.stderr


def test_minpo_489_case_pay_takes_what_the_letter_demands_and_shows_where_it_went(alloc_repo: RecordsRepo) -> None:
    # on 2022-06-30 the debtor owes 41,623 principal and 116 damages (see the table above): paying
    # both is accepted – more than the principal alone – and nothing above that
    res = alloc_repo.saiken("case", "pay", "C-ALLOC001", "--date", "2022-06-30", "--amount", "41740")
    assert res.returncode == 1
    assert ("--amount（金41,740円）が 2022-06-30 現在の債務（元金 金41,623円、遅延損害金 金116円、費用 金0円、"
            "合計 金41,739円）を超えています") in res.stderr
    assert "saiken case allocation C-ALLOC001 --as-of 2022-06-30" in res.stderr
    res = alloc_repo.saiken("case", "pay", "C-ALLOC001", "--date", "2022-06-30", "--amount", "41739")
    assert res.returncode == 0, res.stderr
    assert "充当（民法489条）: 費用 金0円 → 遅延損害金 金116円 → 元金 金41,623円" in res.stdout
    assert "2022-06-30 現在の残高: 元金 金0円、遅延損害金 金0円、費用 金0円、合計 金0円" in res.stdout
    assert "残高が 0 円になりました" in res.stdout
