"""消滅時効 – worked cases a lawyer can check by hand, and the `saiken case limitation` command.

Every case is one loan installment (or a few) with the events written out, and the date on which
the limitation completes (the last day of the period; it can be invoked from the next day).
Counting (民法140条・143条): the first day is not counted, so N years from 2021-04-27 end on
2026-04-27, and 6 months from 2026-02-10 end on 2026-08-10.

The rules come from the repository's own policies/limitation.yaml, as a user would have them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from typing import Any

import pytest

from conftest import ROOT, RecordsRepo
from saiken.casework import limitation
from saiken.casework.limitation.events import load_rules
from saiken.errors import SaikenError
from saiken.textwidth import width
from saiken.core.layout import manifest_rel, record_rel

D = dt.date.fromisoformat
RULES = load_rules(ROOT)
OLD = "2012-03-15"   # a loan contract before 2020-04-01: old law, 10 years
NEW = "2020-06-01"   # a loan contract on/after 2020-04-01: new law, 5 years


def record(contract: str, first_due: str, *, count: int = 1, principal: int = 120000,
           payments: list[tuple[str, int]] = (), history: list[dict[str, Any]] = (),
           agreements: list[dict[str, Any]] = (), demanded_on: str | None = None,
           guarantors: int = 0, heirs: tuple[str, ...] = (), deceased: str | None = None) -> dict[str, Any]:
    """A fictional case (架空): borrower p1, guarantors p2…, heirs of p2 named in `heirs`."""
    parties: list[dict[str, Any]] = [{"id": "p1", "role": "borrower", "name": {"family": "架空"}}]
    for n in range(guarantors):
        parties.append({"id": f"p{n + 2}", "role": "guarantor", "name": {"family": "架空"}})
    if deceased:
        parties[1]["deceased_on"] = D(deceased)
    for h in heirs:
        parties.append({"id": h, "role": "heir", "heir_of": "p2", "share": "1/2", "name": {"family": "架空"}})
    hist = []
    for h in history:
        entry = {"by": "otsu-01", **h}
        entry["at"] = dt.datetime.fromisoformat(h["at"])
        hist.append(entry)
    claim: dict[str, Any] = {
        "contract_date": D(contract), "principal": principal,
        "repayment": {"method": "月賦", "first_due": D(first_due), "count": count},
        "payments": [{"date": D(d), "amount": a} for d, a in payments]}
    if demanded_on:
        claim["demanded_on"] = D(demanded_on)
    return {"case_id": "C-TEST0001", "status": "督促中", "parties": parties, "claim": claim,
            "history": hist, "agreements": [{**a, "date": D(a["date"])} for a in agreements]}


def ack(at: str, party: str | None = None, kind: str = "電話") -> dict[str, Any]:
    return {"at": at, "kind": kind, "acknowledged": True, **({"party": party} if party else {})}


def demand(at: str, party: str | None = None, kind: str = "催告書送付") -> dict[str, Any]:
    return {"at": at, "kind": kind, **({"party": party} if party else {})}


def talks(at: str) -> dict[str, Any]:
    return {"at": at, "kind": "協議合意"}


def outcome(rec: dict[str, Any], party: str = "p1", number: int = 1, *, as_of: str = "2040-01-01",
            rules: limitation.Rules | None = None) -> limitation.Outcome:
    report = limitation.assess(rec, rules or RULES, D(as_of))
    return next(o for o in report.outcomes if o.party == party and o.installment.number == number)


# (id, record, party, installment, expected expiry, why) – the table a lawyer checks by hand.
CASES = [
    ("old law: 10 years from the due date",
     record(OLD, "2016-04-27"), "p1", 1, "2026-04-27",
     "契約2012年（施行日前）→ 旧167条1項の10年。2016-04-27 の翌日から起算し、2026-04-27 に満了。"),
    ("old law also for installments due after 2020",
     record("2019-03-01", "2021-06-30"), "p1", 1, "2031-06-30",
     "契約が施行日前なら、弁済期が施行日後でも10年（改正附則10条4項）。"),
    ("new law: 5 years from the due date",
     record(NEW, "2021-04-27"), "p1", 1, "2026-04-27",
     "契約2020-06-01（施行日後）→ 166条1項1号の5年。"),
    ("new law from the cutover day itself",
     record("2020-04-01", "2021-04-27"), "p1", 1, "2026-04-27",
     "施行日当日の契約は新法（5年）。"),
    ("due on 29 February: the period ends at the month's end",
     record(NEW, "2024-02-29"), "p1", 1, "2029-02-28",
     "3月1日起算・5年後の応当日 2029-03-01 の前日 = 2029-02-28（143条2項）。"),
    ("payment renews every installment due",
     record(NEW, "2021-04-27", count=2, principal=20000, payments=[("2022-01-10", 5000)]), "p1", 2,
     "2027-01-10",
     "第1回の一部弁済 2022-01-10 は債務全体の承認。第2回（2021-05-27 弁済期）も 2022-01-10 から5年。"),
    ("acknowledgement in a phone call renews",
     record(NEW, "2021-04-27", history=[ack("2023-06-15 10:00")]), "p1", 1, "2028-06-15",
     "電話で債務を承認（acknowledged: true）2023-06-15 → 152条1項で更新、2028-06-15。"),
    ("signed agreement renews",
     record(NEW, "2021-04-27", agreements=[{"date": "2023-09-01", "total": 120000, "day": 27, "amount": 10000,
                                           "first_due": D("2023-09-27"), "signed": True}]),
     "p1", 1, "2028-09-27", "署名済みの分納誓約書 2023-09-01 は承認で、分割金が貸付の割賦金に代わる（施行令171条の6）:"
     " 合意書第1回は自分の支払期日 2023-09-27 から5年 → 2028-09-27（民法166条1項）。"),
    ("unsigned agreement does nothing",
     record(NEW, "2021-04-27", agreements=[{"date": "2023-09-01", "total": 120000, "day": 27, "amount": 10000,
                                           "first_due": D("2023-09-27"), "signed": False}]),
     "p1", 1, "2026-04-27", "署名のない合意書は承認にならない。"),
    ("old-law payment before 2020: 中断, 10 years again",
     record(OLD, "2012-05-27", payments=[("2015-03-10", 1000)], count=2), "p1", 2, "2025-03-10",
     "旧法の承認（旧147条3号）で中断、2015-03-10 から新たに10年。"),
    ("催告 suspends for 6 months",
     record(NEW, "2021-04-27", history=[demand("2026-02-10 10:00", kind="督促状送付")]), "p1", 1, "2026-08-10",
     "督促状（私債権では催告）2026-02-10、本来の満了 2026-04-27 は猶予中 → 2026-08-10（150条1項）。"),
    ("催告 far from expiry changes nothing",
     record(NEW, "2021-04-27", history=[demand("2024-01-10 10:00")]), "p1", 1, "2026-04-27",
     "猶予の終わり 2024-07-10 は本来の満了より前なので影響なし。"),
    ("second 催告 during the suspension is ignored",
     record(NEW, "2021-04-27", history=[demand("2026-02-10 10:00"), demand("2026-07-01 10:00")]),
     "p1", 1, "2026-08-10", "2026-07-01 の再度の催告は猶予中 → 効力なし（150条2項）。"),
    ("催告 after the suspension ended revives nothing",
     record(NEW, "2021-04-27", history=[demand("2026-02-10 10:00"), demand("2026-09-01 10:00")]),
     "p1", 1, "2026-08-10", "2026-08-10 に完成済み。その後の催告で復活しない。"),
    ("協議合意 suspends for 1 year",
     record(NEW, "2021-04-27", history=[talks("2026-03-01 10:00")]), "p1", 1, "2027-03-01",
     "協議を行う旨の書面合意 2026-03-01 → 1年後 2027-03-01 まで完成しない（151条1項1号）。"),
    ("協議合意 during a 催告 suspension is ineffective",
     record(NEW, "2021-04-27", history=[demand("2026-02-10 10:00"), talks("2026-05-01 10:00")]),
     "p1", 1, "2026-08-10", "催告による猶予中の協議の合意は効力なし（151条3項）。"),
    ("催告 during a 協議 suspension is ineffective",
     record(NEW, "2021-04-27", history=[talks("2026-03-01 10:00"), demand("2027-02-01 10:00")]),
     "p1", 1, "2027-03-01", "協議による猶予中の催告も効力なし（151条3項後段）。"),
    ("written refusal shortens the 協議 suspension to 6 months",
     record(NEW, "2021-04-27", history=[talks("2026-03-01 10:00"), {"at": "2026-05-10 10:00", "kind": "拒絶"}]),
     "p1", 1, "2026-11-10", "拒絶の通知 2026-05-10 から6か月 = 2026-11-10（151条1項3号）。"),
    ("協議合意 renewed, capped at 5 years after the original expiry",
     record(NEW, "2021-04-27", history=[talks(d + " 10:00") for d in
                                        ("2026-03-01", "2027-02-15", "2028-02-01", "2029-01-20", "2030-01-10",
                                         "2030-12-20")]),
     "p1", 1, "2031-04-27", "再度の合意で延びるが、本来の満了 2026-04-27 から通じて5年 = 2031-04-27 まで（151条2項）。"),
    ("協議合意 before 2020-04-01 has no effect",
     record(OLD, "2010-05-27", history=[talks("2020-03-01 10:00")]), "p1", 1, "2020-05-27",
     "151条は施行日後の合意だけ（改正附則10条3項）。"),
    ("old-law 催告 without a suit has no effect",
     record(OLD, "2010-05-27", history=[demand("2020-01-15 10:00")]), "p1", 1, "2020-05-27",
     "旧153条: 6か月以内に裁判上の請求等がなければ中断しない（policies: old_law_demand_suspends: false）。"),
    ("payment, then 催告 near expiry, then acknowledgement while suspended",
     record(NEW, "2021-04-27", count=2, principal=20000, payments=[("2021-10-01", 5000)],
            history=[demand("2026-08-01 10:00"), ack("2026-12-15 10:00")]), "p1", 1, "2031-12-15",
     "入金で 2026-10-01 → 催告で 2027-02-01 まで猶予 → 猶予中の承認 2026-12-15 で更新、2031-12-15。"),
    ("acceleration: the balance runs from the demand",
     record(NEW, "2021-05-27", count=12, demanded_on="2021-09-15"), "p1", 10, "2026-09-15",
     "第10回（本来 2022-02-27）は期限の利益喪失の請求 2021-09-15 から5年。"),
    ("acceleration leaves installments already due alone",
     record(NEW, "2021-05-27", count=12, demanded_on="2021-09-15"), "p1", 3, "2026-07-27",
     "第3回（2021-07-27）は請求前に弁済期 → 自分の弁済期から5年。"),
    ("guarantor bound by the borrower's acknowledgement",
     record(NEW, "2021-04-27", guarantors=1, history=[ack("2023-06-15 10:00")]), "p2", 1, "2028-06-15",
     "借受人の承認は保証人にも効力（457条1項）。"),
    ("borrower not bound by the guarantor's acknowledgement",
     record(NEW, "2021-04-27", guarantors=1, history=[ack("2023-06-15 10:00", party="p2")]), "p1", 1, "2026-04-27",
     "保証人の承認は主たる債務に及ばない（相対効、441条・458条）。"),
    ("guarantor who acknowledged may still invoke the principal debt's limitation",
     record(NEW, "2021-04-27", guarantors=1, history=[ack("2023-06-15 10:00", party="p2")]), "p2", 1, "2026-04-27",
     "保証債務は 2028-06-15 まで更新されるが、主たる債務 2026-04-27 完成を援用できる（145条）。"),
    ("new contract: a demand on the guarantor does not bind the borrower",
     record(NEW, "2021-04-27", guarantors=1, history=[demand("2026-02-10 10:00", "p2", "保証債務履行請求書送付")]),
     "p1", 1, "2026-04-27", "施行日後の保証契約 → 保証人への請求は借受人に及ばない（458条・441条）。"),
    ("old contract: a demand on the guarantor binds the borrower",
     record(OLD, "2016-04-27", guarantors=1, history=[demand("2026-02-10 10:00", "p2", "保証債務履行請求書送付")]),
     "p1", 1, "2026-08-10", "施行日前の保証契約は旧法（附則21条1項）→ 連帯保証人への請求は借受人にも（旧458条・434条）。"),
    ("heir: bound by the borrower's acknowledgement",
     record(NEW, "2021-04-27", guarantors=1, heirs=("p3", "p4"), deceased="2024-01-10",
            history=[ack("2023-06-15 10:00")]), "p3", 1, "2028-06-15",
     "死亡した保証人の相続人も、借受人の承認に拘束される（457条1項）。"),
    ("heir: own acknowledgement, principal debt still the limit",
     record(NEW, "2021-04-27", guarantors=1, heirs=("p3", "p4"), deceased="2024-01-10",
            history=[ack("2025-03-01 10:00", party="p4")]), "p4", 1, "2026-04-27",
     "相続人 p4 の承認は p4 の債務だけ更新（2030-03-01）。主たる債務 2026-04-27 の援用は可能。"),
]


@pytest.mark.parametrize("rec, party, number, expected, why", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_worked_case(rec: dict[str, Any], party: str, number: int, expected: str, why: str) -> None:
    got = outcome(rec, party, number)
    assert got.expiry == D(expected), f"{why}\n" + "\n".join(map(str, got.steps))


def test_every_step_names_an_article() -> None:
    rec = CASES[21][1]  # payment, 催告, acknowledgement
    steps = outcome(rec).steps
    assert [(s.day.isoformat(), s.kind, s.article) for s in steps] == [
        ("2021-04-27", "起算", "民法166条1項1号（5年）"),
        ("2021-10-01", "更新", "民法152条1項"),
        ("2026-08-01", "完成猶予", "民法150条1項"),
        ("2026-12-15", "更新", "民法152条1項"),
    ]
    assert [s.expiry for s in steps] == [D("2026-04-27"), D("2026-10-01"), D("2027-02-01"), D("2031-12-15")]


def test_ineffective_events_are_shown_with_their_reason() -> None:
    steps = outcome(CASES[12][1]).steps  # second 催告
    assert steps[-1].kind == "効力なし" and "150条2項" in steps[-1].article
    steps = outcome(CASES[15][1]).steps  # 協議 during 催告
    assert steps[-1].kind == "効力なし" and "151条3項" in steps[-1].article


def test_acknowledgement_after_expiry_is_flagged_not_revived() -> None:
    rec = record(NEW, "2021-04-27", guarantors=1, history=[ack("2026-06-01 10:00")])
    borrower = outcome(rec, "p1", as_of="2026-07-01")
    assert borrower.expiry == D("2026-04-27") and borrower.status == limitation.EXPIRED
    assert borrower.flags == ["時効完成後の承認"]
    assert "最大判昭和41年4月20日" in borrower.steps[-1].article
    guarantor = outcome(rec, "p2", as_of="2026-07-01")
    assert guarantor.flags == [] and guarantor.expiry == D("2026-04-27")  # not the guarantor's act


def test_guarantor_acknowledging_after_the_principal_expired_is_flagged() -> None:
    # The guarantor's own debt runs to 2032-01-10 (acknowledged 2027-01-10); the principal debt
    # completed on 2026-04-27. Whether the guarantor may still invoke it is disputed: flag it.
    rec = record(NEW, "2021-04-27", guarantors=1,
                 history=[ack("2023-06-15 10:00", party="p2"), ack("2027-01-10 10:00", party="p2")])
    got = outcome(rec, "p2", as_of="2027-02-01")
    assert got.own_expiry == D("2032-01-10") and got.expiry == D("2026-04-27")
    assert got.flags == [limitation.ACK_AFTER_PRINCIPAL]
    assert outcome(rec, "p1", as_of="2027-02-01").flags == []


def test_borrower_acknowledging_after_completion_passes_nothing_to_the_guarantor() -> None:
    # The guarantor's own debt runs to 2028-06-15 (acknowledged 2023-06-15). The borrower's debt
    # completed on 2026-04-27; the borrower's acknowledgement of 2026-08-01 renews nothing, so 457条1項
    # has nothing to carry over: the guarantor's own debt still ends 2028-06-15, not 2031-08-01.
    rec = record(NEW, "2021-04-27", guarantors=1,
                 history=[ack("2023-06-15 10:00", party="p2"), ack("2026-08-01 10:00")])
    got = outcome(rec, "p2", as_of="2026-09-01")
    assert got.own_expiry == D("2028-06-15") and got.expiry == D("2026-04-27")
    assert all(s.day != D("2026-08-01") for s in got.steps)
    assert outcome(rec, "p1", as_of="2026-09-01").flags == [limitation.ACK_AFTER_EXPIRY]


def test_guarantor_own_demand_after_the_principal_completed_still_counts_for_the_guarantor() -> None:
    # Old contract: the borrower's debt (due 2016-04-27) completes 2026-04-27; the guarantor
    # acknowledged on 2020-01-10 (own debt to 2030-01-10). A 催告 to the guarantor on 2029-12-01
    # comes after the principal completed, yet holds the guarantor's own debt to 2030-06-01.
    rec = record(OLD, "2016-04-27", guarantors=1,
                 history=[ack("2020-01-10 10:00", party="p2"), demand("2029-12-01 10:00", "p2", "保証債務履行請求書送付")])
    assert outcome(rec, "p2").own_expiry == D("2030-06-01")


def test_heirs_inherit_events_before_the_death_only() -> None:
    rec = record(NEW, "2021-04-27", guarantors=1, heirs=("p3", "p4"), deceased="2024-01-10",
                 history=[ack("2023-09-01 10:00", party="p2"), demand("2024-05-01 10:00", "p2", "保証債務履行請求書送付"),
                          ack("2025-03-01 10:00", party="p4")])
    report = limitation.assess(rec, RULES, D("2026-01-01"))
    assert {o.party for o in report.outcomes} == {"p1", "p3", "p4"}  # the deceased guarantor drops out
    assert any("p2（連帯保証人）は 2024-01-10 に死亡" in n and "相続人 p3（2分の1）、p4（2分の1）" in n for n in report.warnings)
    p3 = next(o for o in report.outcomes if o.party == "p3")
    assert p3.own_expiry == D("2028-09-01")  # p2's acknowledgement before death, inherited
    assert all("2024-05-01" != s.day.isoformat() for s in p3.steps)  # a letter to the dead binds nobody
    p4 = next(o for o in report.outcomes if o.party == "p4")
    assert p4.own_expiry == D("2030-03-01") and p4.expiry == D("2026-04-27")
    assert p4.steps[-1].kind == "主たる債務の時効" and "145条" in p4.steps[-1].article


def test_policy_switch_changes_old_law_demand() -> None:
    rec = record(OLD, "2010-05-27", history=[demand("2020-01-15 10:00")])
    rules = dataclasses.replace(RULES, old_law_demand_suspends=True)
    assert outcome(rec, rules=rules).expiry == D("2020-07-15")
    never = dataclasses.replace(RULES, guarantor_demand_binds_borrower="never")
    rec = record(OLD, "2016-04-27", guarantors=1, history=[demand("2026-02-10 10:00", "p2", "保証債務履行請求書送付")])
    assert outcome(rec, rules=never).expiry == D("2026-04-27")


def test_events_after_as_of_are_not_counted() -> None:
    rec = record(NEW, "2021-04-27", history=[ack("2023-06-15 10:00")])
    assert outcome(rec, as_of="2023-06-14").expiry == D("2026-04-27")
    assert outcome(rec, as_of="2023-06-15").expiry == D("2028-06-15")


@pytest.mark.parametrize("as_of, status", [
    ("2021-04-01", limitation.NOT_DUE), ("2025-10-26", limitation.RUNNING), ("2025-10-27", limitation.SOON),
    ("2026-04-27", limitation.SOON), ("2026-04-28", limitation.EXPIRED)])
def test_status_against_as_of(as_of: str, status: str) -> None:
    # Completes at the end of 2026-04-27: 「間近」 from six months before, 「完成」 from the next day.
    assert outcome(record(NEW, "2021-04-27"), as_of=as_of).status == status


def test_next_deadline_for_a_worklist() -> None:
    rec = record(NEW, "2021-04-27", count=3, principal=30000, guarantors=1, history=[ack("2021-05-10 10:00", "p2")])
    first = limitation.next_deadline(limitation.assess(rec, RULES, D("2026-01-01")))
    assert first is not None and (first.party, first.installment.number, first.expiry) == ("p1", 1, D("2026-04-27"))
    second = limitation.next_deadline(limitation.assess(rec, RULES, D("2026-05-01")))  # 第1回 has completed
    assert second is not None and (second.installment.number, second.expiry) == (2, D("2026-05-27"))
    assert limitation.next_deadline(limitation.assess(rec, RULES, D("2027-01-01"))) is None


def test_paid_installment_has_no_expiry() -> None:
    got = outcome(record(NEW, "2021-04-27", count=2, principal=20000, payments=[("2021-04-27", 10000)]))
    assert got.status == limitation.PAID and got.expiry is None


def test_guarantor_demand_without_party_is_left_out_with_a_warning() -> None:
    rec = record(NEW, "2021-04-27", guarantors=1, history=[{"at": "2026-02-10 10:00", "kind": "保証債務履行請求書送付"}])
    report = limitation.assess(rec, RULES, D("2026-03-01"))
    assert any("history[0]" in w and "相手方（party）" in w for w in report.warnings)
    assert all(o.expiry == D("2026-04-27") for o in report.outcomes)


def test_missing_contract_date_is_a_clear_error() -> None:
    rec = record(NEW, "2021-04-27")
    del rec["claim"]["contract_date"]
    with pytest.raises(SaikenError, match="契約の日") as exc:
        limitation.assess(rec, RULES, D("2026-01-01"))
    assert exc.value.where == "claim.contract_date"


def test_broken_rules_file_names_the_field(tmp_path: Any) -> None:
    (tmp_path / "policies").mkdir()
    text = (ROOT / "policies" / "limitation.yaml").read_text(encoding="utf-8")
    (tmp_path / "policies" / "limitation.yaml").write_text(text.replace("new_law_years: 5", "new_law_years: 五"),
                                                           encoding="utf-8")
    with pytest.raises(SaikenError, match="periods.new_law_years"):
        load_rules(tmp_path)
    (tmp_path / "policies" / "limitation.yaml").unlink()
    with pytest.raises(SaikenError, match="ポリシーファイル）がありません") as exc:
        load_rules(tmp_path)
    assert "policies/limitation.yaml" in (exc.value.hint or "")


# --- the command, on an encrypted fictional record ---------------------------------------------

CLI_CASE = """\
# 架空の人物です（テスト用）。
case_id: C-LIMIT001
status: 交渉中
parties:
  - {id: p1, role: borrower, name: {family: 架空, given: 一郎}}
  - {id: p2, role: guarantor, name: {family: 架空, given: 花子}}
claim:
  contract_date: 2012-03-15
  principal: 1080000
  repayment: {method: 月賦, first_due: 2016-04-27, count: 120}
  payments:
    - {date: 2016-04-27, amount: 9000}
history:
  - {at: 2021-05-10 10:00, kind: 電話, by: otsu-01, party: p1, counterpart: 本人, acknowledged: true}
  - {at: 2031-02-01 10:00, kind: 催告書送付, by: otsu-01, party: p1}
"""


@pytest.fixture
def limitation_repo(records_repo: RecordsRepo) -> RecordsRepo:
    shutil.copy(ROOT / "policies" / "limitation.yaml", records_repo.root / "policies" / "limitation.yaml")
    records_repo.saiken("case", "new", "--from", "-", input=CLI_CASE, check=True)
    stored = (records_repo.root / record_rel("C-LIMIT001")).read_bytes()
    assert stored.startswith(b"age-encryption.org/v1") and "架空".encode() not in stored
    return records_repo


def test_cli_table(limitation_repo: RecordsRepo) -> None:
    res = limitation_repo.saiken("case", "limitation", "C-LIMIT001", "--as-of", "2031-03-01")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "基準日 令和13年3月1日（2031-03-01）" in out
    assert "旧法・各弁済期から10年" in out
    # 第2〜61回 were due before the acknowledgement of 2021-05-10 → 10 years later; the 催告 of
    # 2031-02-01 holds them to 2031-08-01, within 6 months of the as-of date: marked ！.
    assert re.search(r"！ 第2〜61回 +2016-05-27〜2021-04-27 +金540,000円 +令和13年8月1日（2031-08-01） +間近", out)
    assert "      2021-05-10 更新: 電話（債務の承認）\n                 民法152条1項\n" in out
    assert "      2031-02-01 完成猶予: 催告書送付\n                 民法150条1項\n" in out
    assert "借受人p1の電話（債務の承認）（民法457条1項）" in out  # the guarantor's section
    # a paid row says so, without 「未払 金0円」; no row runs past 120 columns
    assert re.search(r"\n +第1回 +2016-04-27 +— +完済\n", out) and "金0円" not in out
    assert max(width(line) for line in out.splitlines()) <= 120
    assert "架空" not in out  # names only with --names
    assert "架空 花子" in limitation_repo.saiken("case", "limitation", "C-LIMIT001", "--as-of", "2031-03-01",
                                                 "--names").stdout


def test_cli_expired_rows_are_marked(limitation_repo: RecordsRepo) -> None:
    res = limitation_repo.saiken("case", "limitation", "C-LIMIT001", "--as-of", "2031-09-01")
    assert res.returncode == 0, res.stderr
    # Expired on 2031-09-01: 第2〜61回 and 第62〜64回 (held to 2031-08-01 by the 催告) and 第65回
    # (due 2021-08-27, 10 years) – 64 installments of 金9,000円; 第66〜71回 complete by 2032-03-01.
    assert "✖ 第2〜61回" in res.stdout and "✖ 第62〜64回" in res.stdout and "✖ 第65回" in res.stdout
    assert "完成済み 64 回分（金576,000円）、！ 間近 6 回分（金54,000円）" in res.stdout
    assert "！ 第66〜71回" in res.stdout


def test_cli_json(limitation_repo: RecordsRepo) -> None:
    res = limitation_repo.saiken("case", "limitation", "C-LIMIT001", "--as-of", "2031-03-01", "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    rows = {(r["party"], r["installment"]): r for r in data["installments"]}
    assert len(rows) == 240
    assert rows[("p1", 2)]["expiry"] == "2031-08-01" and rows[("p1", 2)]["expiry_wareki"] == "令和13年8月1日"
    assert rows[("p1", 1)]["status"] == "完済"
    assert [e["kind"] for e in rows[("p2", 2)]["events"]] == ["起算", "更新", "完成猶予"]


def test_cli_without_rules_file_says_how_to_fix(records_repo: RecordsRepo) -> None:
    records_repo.saiken("case", "new", "--from", "-", input=CLI_CASE, check=True)
    res = records_repo.saiken("case", "limitation", "C-LIMIT001")
    assert res.returncode == 1
    assert "policies/limitation.yaml" in res.stderr and "ポリシーファイル）がありません" in res.stderr
    assert "対処: saiken のリポジトリにある policies/limitation.yaml" in res.stderr
    assert "Traceback" not in res.stderr


def test_cli_unknown_case(limitation_repo: RecordsRepo) -> None:
    res = limitation_repo.saiken("case", "limitation", "C-NOSUCH1")
    assert res.returncode == 1 and "事案「C-NOSUCH1」の記録がありません" in res.stderr
