"""Worked cases of a signed 分納 agreement (履行延期の特約, 地方自治法施行令171条の6) in force: its own
installments replace the loan's from its date, with their own due dates and limitation (民法166条1項),
payments after it go to them, a later agreement supersedes an earlier one, what was time-barred on its
date stays out of it (民法145条), and what is not modelled says so (架空の事案).
"""

from __future__ import annotations

from typing import Any

from test_collection_law import D, OLD, case, report
from saiken.casework.limitation import due


def owed_on(rec: dict[str, Any], as_of: str) -> due.Owed:
    return due.owed(report(rec, as_of), "p1")


def loan(**kw: Any) -> dict[str, Any]:
    """12 monthly installments of 10,000円 from 2021-05-27, new law (5 years)."""
    return case("2021-05-27", count=12, principal=120000, **kw)


def agreement(date: str, total: int, first_due: str, amount: int = 10000, day: int = 27, **more: Any) -> dict[str, Any]:
    return {"date": date, "total": total, "day": day, "amount": amount, "first_due": D(first_due), "signed": True,
            **more}


# 2022-06-01: all 12 installments fell due, none paid: 元金 120,000円 and 遅延損害金 1,985円 (年3%)
OWED_2022_06_01 = 121985


def test_seirei_171_6_the_agreement_takes_in_exactly_what_was_owed_on_its_date() -> None:
    assert owed_on(loan(), "2022-06-01").by_nature() == (120000, 1985, 0)


def test_seirei_171_6_signed_agreement_replaces_the_loan_installments_from_its_date() -> None:
    rec = loan(agreements=[agreement("2022-06-01", OWED_2022_06_01, "2022-06-27")],
               payments=[("2022-06-27", 10000)])
    before = report(rec, "2022-05-31")
    assert {o.installment.agreement for o in before.outcomes} == {None}      # not yet in force
    after = report(rec, "2022-08-01")
    assert not after.warnings
    plan = sorted({o.installment for o in after.outcomes if o.party == "p1"}, key=lambda i: i.number)
    assert {i.agreement for i in plan} == {D("2022-06-01")}
    assert len(plan) == 13 and plan[-1].amount == 1985 and plan[-1].due == D("2023-06-27")
    # the payment went to 合意書第1回; 第2回 fell due on 2022-07-27 and bears damages on its principal part
    # from the next day: 10,000円 × 3% × 5/365 = 4円 (2022-07-28 … 08-01)
    owed = owed_on(rec, "2022-08-01")
    assert [(x.installment.label, x.unpaid, x.damages) for x in owed.due] == [("合意書第2回", 10000, 4)]
    assert len(owed.later) == 11 and owed.principal_balance == OWED_2022_06_01 - 10000
    assert not owed.barred


def test_minpo_166_1_each_agreement_installment_runs_from_its_own_deferred_due_date() -> None:
    rec = loan(agreements=[agreement("2022-06-01", OWED_2022_06_01, "2022-06-27")])
    outs = {o.installment.number: o for o in report(rec, "2022-08-01").outcomes if o.party == "p1"}
    assert outs[1].expiry == D("2027-06-27") and outs[2].expiry == D("2027-07-27")
    assert outs[13].expiry == D("2028-06-27")
    # the guarantor's obligation follows the same plan (保証債務の付従性)
    g = {o.installment.number: o for o in report(rec, "2022-08-01").outcomes if o.party == "p2"}
    assert g[13].installment.agreement == D("2022-06-01") and g[13].expiry == D("2028-06-27")


def test_seirei_171_6_a_later_agreement_supersedes_the_earlier_one() -> None:
    first = agreement("2022-06-01", OWED_2022_06_01, "2022-06-27")
    # 2022-09-01: two of the first plan paid, 第3回 (due 08-27) unpaid for 5 days: 4円 of damages
    second = agreement("2022-09-01", OWED_2022_06_01 - 20000 + 4, "2022-09-10", amount=5000, day=10)
    rec = loan(agreements=[first, second], payments=[("2022-06-27", 10000), ("2022-07-27", 10000)])
    r = report(rec, "2022-10-01")
    assert not r.warnings, r.warnings
    assert {o.installment.agreement for o in r.outcomes} == {D("2022-09-01")}
    owed = owed_on(rec, "2022-10-01")
    assert [(x.installment.label, x.installment.due, x.unpaid) for x in owed.due] == [
        ("合意書第1回", D("2022-09-10"), 5000)]


def test_minpo_145_what_was_time_barred_on_the_agreement_date_stays_out_and_is_never_demanded() -> None:
    # old law, 10 years: on 2023-01-10 the installments due 2012-04-27 … 2012-12-27 (9 × 5,000円) are barred
    def old(**kw: Any) -> dict[str, Any]:
        return case("2012-04-27", contract=OLD, count=24, principal=120000, **kw)
    was = owed_on(old(), "2023-01-10")
    assert [o.installment.label for o in was.barred] == [f"第{n}回" for n in range(1, 10)]
    principal, damages, costs = was.by_nature()
    assert principal == 75000 and costs == 0
    rec = old(agreements=[agreement("2023-01-10", principal + damages, "2023-01-27", amount=20000)],
              payments=[("2023-01-27", 20000), ("2023-02-27", 20000)])
    owed = owed_on(rec, "2023-03-01")
    assert owed.due == []                                          # both 分割金 paid so far
    assert [o.installment.label for o in owed.barred] == [f"第{n}回" for n in range(1, 10)]
    assert all(o.unpaid == 5000 for o in owed.barred)              # the payments did not go to them
    assert {x.installment.agreement for x in owed.later} == {D("2023-01-10")}


def test_an_agreement_total_that_is_not_what_was_owed_is_used_and_said() -> None:
    rec = loan(agreements=[agreement("2022-06-01", 100000, "2022-06-27")])
    words = " ".join(report(rec, "2022-08-01").warnings)
    assert "総額 金100,000円は、合意日現在の債務（元金 金120,000円、遅延損害金 金1,985円" in words
    assert "合意書の内容を確かめてください" in words
    assert sum(x.unpaid for x in [*owed_on(rec, "2022-08-01").due, *owed_on(rec, "2022-08-01").later]) == 100000


def test_a_guarantor_only_agreement_is_not_modelled_and_says_so() -> None:
    rec = loan(agreements=[agreement("2022-06-01", 50000, "2022-06-27", parties=["p2"])])
    r = report(rec, "2022-08-01")
    assert {o.installment.agreement for o in r.outcomes} == {None}  # the loan's schedule
    assert any("借受人が当事者でない合意書" in w and "弁護士が判断" in w for w in r.warnings)


def test_an_unsigned_agreement_changes_nothing() -> None:
    plain = loan()
    unsigned = loan(agreements=[{**agreement("2022-06-01", OWED_2022_06_01, "2022-06-27"), "signed": False}])
    assert owed_on(unsigned, "2022-08-01").by_nature() == owed_on(plain, "2022-08-01").by_nature()
    assert {o.installment.agreement for o in report(unsigned, "2022-08-01").outcomes} == {None}
