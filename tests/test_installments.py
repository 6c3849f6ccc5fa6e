"""割賦金: the schedule derived from the loan terms, payments applied oldest-first, arrears."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from saiken.casework import claim, installments
from saiken.errors import SaikenError

D = dt.date.fromisoformat


def loan(principal: int, method: str, first_due: str, count: int,
         payments: list[tuple[str, int]] = ()) -> dict[str, Any]:
    return {"claim": {"contract_date": D("2012-03-15"), "principal": principal,
                      "repayment": {"method": method, "first_due": D(first_due), "count": count},
                      "payments": [{"date": D(d), "amount": a} for d, a in payments]}}


def dues(record: dict[str, Any]) -> list[str]:
    return [i.due.isoformat() for i in installments.schedule(record)]


def test_equal_split_remainder_on_the_last() -> None:
    sched = installments.schedule(loan(100000, "月賦", "2021-04-27", 3))
    assert [i.amount for i in sched] == [33333, 33333, 33334]
    assert [i.number for i in sched] == [1, 2, 3]
    assert sum(i.amount for i in installments.schedule(loan(1080000, "月賦", "2016-04-27", 120))) == 1080000
    assert {i.amount for i in installments.schedule(loan(1080000, "月賦", "2016-04-27", 120))} == {9000}


def test_monthly_dates_clamp_to_the_month_end_and_come_back() -> None:
    assert dues(loan(40000, "月賦", "2021-01-31", 4)) == ["2021-01-31", "2021-02-28", "2021-03-31", "2021-04-30"]
    assert dues(loan(20000, "月賦", "2024-01-31", 2)) == ["2024-01-31", "2024-02-29"]
    assert dues(loan(30000, "月賦", "2021-11-27", 3)) == ["2021-11-27", "2021-12-27", "2022-01-27"]


def test_half_yearly_and_yearly() -> None:
    assert dues(loan(30000, "半年賦", "2021-03-31", 3)) == ["2021-03-31", "2021-09-30", "2022-03-31"]
    assert dues(loan(50000, "年賦", "2020-02-29", 5)) == ["2020-02-29", "2021-02-28", "2022-02-28", "2023-02-28",
                                                         "2024-02-29"]


def test_payments_fill_the_oldest_installment_first() -> None:
    rec = loan(30000, "月賦", "2021-01-31", 3, payments=[("2021-05-01", 12000), ("2021-02-01", 15000)])
    rows = installments.standings(rec)
    assert [(s.paid, s.unpaid, s.settled_on) for s in rows] == [
        (10000, 0, D("2021-02-01")), (10000, 0, D("2021-05-01")), (7000, 3000, None)]
    assert claim.balance(rec) == sum(s.unpaid for s in rows) == 3000


def test_standings_as_of_ignore_later_payments() -> None:
    rec = loan(30000, "月賦", "2021-01-31", 3, payments=[("2021-02-01", 15000), ("2021-05-01", 12000)])
    assert [s.paid for s in installments.standings(rec, D("2021-04-30"))] == [10000, 5000, 0]


def test_arrears_as_of_a_date() -> None:
    rec = loan(30000, "月賦", "2021-01-31", 3, payments=[("2021-02-01", 15000)])
    # On its due date an installment is not yet in arrears; the next day it is.
    assert [s.installment.number for s in installments.arrears(rec, D("2021-03-31"))] == [2]
    assert installments.arrears_total(rec, D("2021-03-31")) == 5000
    assert [s.installment.number for s in installments.arrears(rec, D("2021-04-01"))] == [2, 3]
    assert installments.arrears_total(rec, D("2021-04-01")) == 15000
    assert installments.arrears(rec, D("2021-01-31")) == []


def test_surplus_is_reported_not_spread() -> None:
    sched = installments.schedule(loan(20000, "月賦", "2021-01-31", 2))
    rows, surplus = installments.allocate(sched, [(D("2021-01-31"), 25000)])
    assert [s.unpaid for s in rows] == [0, 0] and surplus == 5000


def test_agreement_plan() -> None:
    plan = installments.agreement_schedule({"total": 100000, "amount": 30000, "day": 25,
                                            "first_due": D("2022-01-25")})
    assert [(i.due.isoformat(), i.amount) for i in plan] == [
        ("2022-01-25", 30000), ("2022-02-25", 30000), ("2022-03-25", 30000), ("2022-04-25", 10000)]
    plan = installments.agreement_schedule({"total": 30000, "amount": 10000, "day": 31,
                                            "first_due": D("2022-01-31")})
    assert [i.due.isoformat() for i in plan] == ["2022-01-31", "2022-02-28", "2022-03-31"]


@pytest.mark.parametrize("mutate, where", [
    (lambda r: r["claim"]["repayment"].update(method="週賦"), "claim.repayment.method"),
    (lambda r: r["claim"]["repayment"].update(count=0), "claim.repayment.count"),
    (lambda r: r["claim"]["repayment"].pop("first_due"), "claim.repayment.first_due"),
    (lambda r: r.pop("claim"), "claim"),
])
def test_bad_terms_are_clear_errors(mutate: Any, where: str) -> None:
    rec = loan(30000, "月賦", "2021-01-31", 3)
    mutate(rec)
    with pytest.raises(SaikenError) as exc:
        installments.schedule(rec)
    assert exc.value.where == where


def test_incomplete_agreement_plan() -> None:
    with pytest.raises(SaikenError, match="分割計画"):
        installments.agreement_schedule({"total": 100000, "amount": 0, "day": 25, "first_due": D("2022-01-25")})
