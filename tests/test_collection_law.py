"""Worked cases of the law of collection, each named for the rule it shows (架空の事案).

Who paid (民法153条3項, 457条1項), heirs as principal debtors by share (896条・899条・939条・923条),
acceleration under an agreement's clause or on demand (期限の利益喪失), and what the history closes
(時効援用: 145条; 免責: 破産法253条). The numbers can be checked by hand: 5 years from 2021-04-27
end on 2026-04-27 (民法140条・143条).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction
from typing import Any

import pytest

from conftest import ROOT
from saiken.casework import acceleration, heirs, liability, limitation, situations
from saiken.casework.limitation import closures
from saiken.casework.limitation.events import load_rules
from saiken.core import inheritance
from saiken.errors import SaikenError

D = dt.date.fromisoformat
RULES = load_rules(ROOT)
NEW, OLD = "2020-06-01", "2012-03-15"


def person(pid: str, role: str, **more: Any) -> dict[str, Any]:
    return {"id": pid, "role": role, "name": {"family": "架空"}, **more}


def case(first_due: str = "2021-04-27", *, contract: str = NEW, count: int = 1, principal: int = 120000,
         parties: list[dict[str, Any]] | None = None, payments: list[tuple[Any, ...]] = (),
         history: list[dict[str, Any]] = (), agreements: list[dict[str, Any]] = (),
         demanded_on: str | None = None) -> dict[str, Any]:
    """A fictional record: borrower p1 and guarantor p2 unless `parties` says otherwise."""
    claim: dict[str, Any] = {
        "contract_date": D(contract), "principal": principal,
        "repayment": {"method": "月賦", "first_due": D(first_due), "count": count},
        "payments": [{"date": D(p[0]), "amount": p[1], **({"party": p[2]} if len(p) > 2 else {})} for p in payments]}
    if demanded_on:
        claim["demanded_on"] = D(demanded_on)
    hist = [{"by": "otsu-01", **h, "at": dt.datetime.fromisoformat(h["at"])} for h in history]
    return {"case_id": "C-LAW00001", "status": "督促中",
            "parties": parties or [person("p1", "borrower"), person("p2", "guarantor")],
            "claim": claim, "history": hist, "agreements": [{**a, "date": D(a["date"])} for a in agreements]}


def heirs_of_borrower(*shares: str, died: str = "2024-01-10", guarantor: bool = True,
                      **more: dict[str, Any]) -> list[dict[str, Any]]:
    out = [person("p1", "borrower", deceased_on=D(died))]
    if guarantor:
        out.append(person("p2", "guarantor"))
    for n, share in enumerate(shares):
        pid = f"p{n + 3}"
        out.append(person(pid, "heir", **{"heir_of": "p1", "share": share, **more.get(pid, {})}))
    return out


def ack(at: str, party: str | None = None) -> dict[str, Any]:
    return {"at": at, "kind": "電話", "acknowledged": True, **({"party": party} if party else {})}


def entry(at: str, kind: str, party: str | None = None) -> dict[str, Any]:
    return {"at": at, "kind": kind, **({"party": party} if party else {})}


def report(rec: dict[str, Any], as_of: str = "2026-01-01", rules: Any = None) -> limitation.Report:
    return limitation.assess(rec, rules or RULES, D(as_of))


def outcome(rec: dict[str, Any], party: str, number: int = 1, *, principal: str | None = None,
            as_of: str = "2026-01-01", rules: Any = None) -> limitation.Outcome:
    return next(o for o in report(rec, as_of, rules).outcomes
                if o.party == party and o.installment.number == number and (principal is None or o.principal == principal))


# --- who paid ------------------------------------------------------------------------------------

def test_minpo_153_3_guarantor_payment_does_not_renew_borrower() -> None:
    rec = case(count=2, principal=20000, payments=[("2023-06-15", 1000, "p2")])
    borrower, guarantor = outcome(rec, "p1"), outcome(rec, "p2")
    assert borrower.expiry == D("2026-04-27")                      # the borrower's period runs on
    assert all(s.day != D("2023-06-15") for s in borrower.steps)
    assert guarantor.own_expiry == D("2028-06-15")                 # the guarantor's own debt renewed
    assert guarantor.expiry == D("2026-04-27")                     # yet it may invoke the principal's (145条)
    # the money still counts for both: under 民法489条 the 1,000 went to damages first (第1回 640, 第2回 360)
    assert borrower.unpaid == guarantor.unpaid == 10000


def test_minpo_457_1_borrower_payment_renews_the_guarantor_too() -> None:
    rec = case(count=2, principal=20000, payments=[("2023-06-15", 1000)])
    assert outcome(rec, "p1").expiry == D("2028-06-15")
    guarantor = outcome(rec, "p2")
    assert guarantor.expiry == D("2028-06-15") and "民法457条1項" in guarantor.steps[-1].source


def test_minpo_153_3_payment_by_the_borrower_named_explicitly_is_the_same_as_none() -> None:
    named, unnamed = case(payments=[("2023-06-15", 1000, "p1")]), case(payments=[("2023-06-15", 1000)])
    assert outcome(named, "p1").expiry == outcome(unnamed, "p1").expiry == D("2028-06-15")


# --- heirs of the borrower --------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("2分の1", Fraction(1, 2)), ("1/2", Fraction(1, 2)), ("３分の２", Fraction(2, 3)), ("三分の一", Fraction(1, 3)),
    ("十二分の五", Fraction(5, 12)), ("全部", Fraction(1)), ("1", Fraction(1)), (" 4分の1 ", Fraction(1, 4))])
def test_minpo_900_shares_are_read_as_fractions(text: str, value: Fraction) -> None:
    assert inheritance.parse_share(text) == value


@pytest.mark.parametrize("text", ["半分", "2分の3", "0/2", "1/0", "", "二分の", "3割"])
def test_minpo_900_unreadable_shares_are_refused(text: str) -> None:
    with pytest.raises(inheritance.ShareError):
        inheritance.parse_share(text)


def test_minpo_899_heir_of_the_borrower_owes_the_share_of_each_installment() -> None:
    rec = case(count=2, principal=20001, parties=heirs_of_borrower("2分の1", "1/2"))
    got = report(rec)
    assert {o.party for o in got.outcomes} == {"p2", "p3", "p4"}   # the deceased borrower owes nothing more
    assert [(o.party, o.installment.number, o.unpaid) for o in got.outcomes if o.party in ("p3", "p4")] == [
        ("p3", 1, 5000), ("p3", 2, 5001), ("p4", 1, 5000), ("p4", 2, 5000)]
    assert any("p1（借受人）は 2024-01-10 に死亡" in w and "p3（2分の1）、p4（2分の1）" in w for w in got.warnings)


def test_minpo_899_odd_yen_go_to_the_largest_remainders_and_always_add_up() -> None:
    thirds = [("p3", Fraction(1, 3)), ("p4", Fraction(1, 3)), ("p5", Fraction(1, 3))]
    assert heirs.split(9000, thirds) == {"p3": 3000, "p4": 3000, "p5": 3000}
    assert heirs.split(10000, thirds) == {"p3": 3334, "p4": 3333, "p5": 3333}
    assert sum(heirs.split(10001, [("a", Fraction(1, 2)), ("b", Fraction(1, 3)), ("c", Fraction(1, 6))]).values()) == 10001


def test_minpo_896_heirs_inherit_the_borrower_acknowledgement_before_death() -> None:
    rec = case(parties=heirs_of_borrower("2分の1", "2分の1"), history=[ack("2023-06-15 10:00")])
    heir = outcome(rec, "p3")
    assert heir.expiry == D("2028-06-15") and "（相続）" in heir.steps[-1].source


def test_minpo_152_an_heir_acknowledgement_renews_only_that_heir_share() -> None:
    rec = case(parties=heirs_of_borrower("2分の1", "2分の1"), history=[ack("2025-03-01 10:00", "p3")])
    assert outcome(rec, "p3").expiry == D("2030-03-01")
    assert outcome(rec, "p4").expiry == D("2026-04-27")


def test_minpo_457_1_an_heir_acknowledgement_binds_the_guarantor_for_that_share_only() -> None:
    rec = case(parties=heirs_of_borrower("2分の1", "2分の1"), history=[ack("2025-03-01 10:00", "p3")])
    for_p3 = outcome(rec, "p2", principal="p3")
    for_p4 = outcome(rec, "p2", principal="p4")
    assert (for_p3.unpaid, for_p3.own_expiry, for_p3.expiry) == (60000, D("2030-03-01"), D("2030-03-01"))
    assert "相続人p3の電話（債務の承認）（民法457条1項）" in for_p3.steps[-1].source
    assert (for_p4.unpaid, for_p4.expiry) == (60000, D("2026-04-27"))


def test_minpo_899_an_heir_payment_goes_to_that_heir_share() -> None:
    rec = case(count=2, principal=20000, parties=heirs_of_borrower("2分の1", "2分の1"),
               payments=[("2023-05-01", 4000), ("2024-02-01", 6000, "p3")])
    debts = liability.assess(rec, D("2024-03-01"))
    assert [(ln.installment.number, ln.unpaid) for ln in debts.of("p3")] == [(1, 0), (2, 2000)]
    assert [(ln.installment.number, ln.unpaid) for ln in debts.of("p4")] == [(1, 3000), (2, 5000)]
    assert [(ln.principal, ln.unpaid) for ln in debts.of("p2")] == [("p3", 0), ("p3", 2000), ("p4", 3000), ("p4", 5000)]
    assert outcome(rec, "p3", 2).expiry == D("2029-02-01")        # the heir's payment is the heir's 承認
    assert outcome(rec, "p4", 2).expiry == D("2028-05-01")        # the borrower's payment before death, inherited


def test_minpo_474_a_guarantor_payment_after_the_death_is_split_by_share_and_renews_nobody_else() -> None:
    rec = case(parties=heirs_of_borrower("3分の2", "3分の1"), payments=[("2024-06-01", 30000, "p2")])
    debts = liability.assess(rec, D("2024-07-01"))
    assert [ln.unpaid for ln in debts.of("p3")] == [60000] and [ln.unpaid for ln in debts.of("p4")] == [30000]
    assert outcome(rec, "p3").expiry == D("2026-04-27")


def test_a_payment_after_the_borrower_death_without_a_payer_is_nobody_acknowledgement() -> None:
    rec = case(parties=heirs_of_borrower("2分の1", "2分の1"), payments=[("2024-06-01", 20000)])
    got = report(rec)
    assert any("死亡（2024-01-10）後の入金 2024-06-01" in w and "入金者（party）" in w for w in got.warnings)
    assert [o.unpaid for o in got.outcomes if o.party in ("p3", "p4")] == [50000, 50000]
    assert outcome(rec, "p3").expiry == D("2026-04-27")


def test_minpo_939_a_renouncing_heir_owes_nothing_and_the_others_take_the_whole() -> None:
    rec = case(parties=heirs_of_borrower("2分の1", "全部", p3={"renounced_on": D("2024-03-01")}))
    got = report(rec)
    assert situations.flags(rec, D("2026-01-01")) == ["相続放棄(p3)", "死亡(p1)"]
    assert {o.party for o in got.outcomes} == {"p2", "p4"}
    assert next(o for o in got.outcomes if o.party == "p4").unpaid == 120000


def test_minpo_952_when_every_heir_renounced_the_estate_still_owes_and_staff_are_told() -> None:
    rec = case(parties=heirs_of_borrower("全部", p3={"renounced_on": D("2024-03-01")}))
    got = report(rec)
    assert {o.party for o in got.outcomes} == {"p1", "p2"}
    assert any("全員が相続放棄" in w and "民法952条" in w for w in got.warnings)


def test_minpo_899_heirs_of_a_deceased_guarantor_answer_for_their_share() -> None:
    parties = [person("p1", "borrower"), person("p2", "guarantor", deceased_on=D("2024-01-10")),
               person("p3", "heir", heir_of="p2", share="3分の2"), person("p4", "heir", heir_of="p2", share="3分の1")]
    got = report(case(parties=parties))
    assert [(o.party, o.unpaid) for o in got.outcomes] == [("p1", 120000), ("p3", 80000), ("p4", 40000)]


# --- the record refuses heirs that do not add up ------------------------------------------------

def problems(parties: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return inheritance.problems({"case_id": "C-LAW00001", "parties": parties})


def test_minpo_899_shares_that_do_not_add_up_to_one_are_refused_with_the_fix() -> None:
    found = problems(heirs_of_borrower("2分の1", "3分の1"))
    assert found == [("parties", "死亡した当事者 p1 の相続人（p3、p4）の相続分の合計が 6分の5 です。合計が 1 になるように"
                                 "直してください。（直し方: `saiken case edit C-LAW00001`）")]
    assert problems(heirs_of_borrower("2分の1", "1/2")) == []


def test_minpo_939_after_a_renunciation_the_remaining_shares_must_be_corrected() -> None:
    found = problems(heirs_of_borrower("2分の1", "2分の1", p3={"renounced_on": D("2024-03-01")}))
    assert len(found) == 1 and "相続放棄をした p3" in found[0][1] and "民法939条" in found[0][1]


def test_minpo_923_limited_acceptance_by_some_heirs_only_is_refused() -> None:
    found = problems(heirs_of_borrower("2分の1", "2分の1", p3={"limited_acceptance_on": D("2024-03-01")}))
    assert len(found) == 1 and "民法923条" in found[0][1]
    both = heirs_of_borrower("2分の1", "2分の1", p3={"limited_acceptance_on": D("2024-03-01")},
                             p4={"limited_acceptance_on": D("2024-03-01")})
    assert problems(both) == []


@pytest.mark.parametrize("parties, where, words", [
    ([person("p1", "borrower"), person("p3", "heir", heir_of="p1", share="全部")], "parties[1].heir_of", "deceased_on"),
    (heirs_of_borrower("半分"), "parties[2].share", "読めません"),
    (heirs_of_borrower("全部", p3={"share": None}), "parties[2].share", "相続分（share"),
    ([person("p1", "borrower", share="全部")], "parties[0].share", "相続人（role: heir）でない"),
    (heirs_of_borrower("全部", p3={"renounced_on": D("2023-01-01")}), "parties[2].renounced_on", "死亡日"),
])
def test_heir_data_that_cannot_be_right_is_refused(parties: list[dict[str, Any]], where: str, words: str) -> None:
    found = dict(problems(parties))
    assert where in found and words in found[where] and "saiken case edit C-LAW00001" in found[where]


# --- acceleration ------------------------------------------------------------------------------------

AGREEMENT = {"date": "2026-01-10", "total": 100000, "day": 27, "amount": 10000, "first_due": D("2026-01-27"),
             "signed": True, "acceleration": {"missed": 2}}


def loan(**kw: Any) -> dict[str, Any]:
    """120 monthly installments of 1,000円 from 2021-05-27 (架空)."""
    return case("2021-05-27", count=120, **kw)


def test_agreement_clause_accelerates_without_notice_on_the_second_miss() -> None:
    rec = loan(agreements=[AGREEMENT], payments=[("2026-01-27", 10000)])
    acc = acceleration.find(rec, D("2026-04-01"))
    assert acc is not None and (acc.day, acc.count_from, acc.kind) == (D("2026-03-28"), D("2026-03-27"), "当然喪失")
    assert "第2回（2026-02-27）・第3回（2026-03-27）" in acc.basis
    assert acceleration.find(rec, D("2026-03-27")) is None          # the second due day is not over yet
    last = outcome(rec, "p1", 10, as_of="2026-04-01")              # the agreement's last, due 2026-10-27
    assert last.installment.agreement == D("2026-01-10")
    assert (last.start, last.due, last.expiry) == (D("2026-03-27"), D("2026-03-28"), D("2031-03-27"))
    assert last.status == limitation.RUNNING and "民法140条ただし書" in last.steps[0].article


def test_without_a_clause_the_installments_stay_not_yet_due() -> None:
    plain = {k: v for k, v in AGREEMENT.items() if k != "acceleration"}
    rec = loan(agreements=[plain], payments=[("2026-01-27", 10000)])
    assert acceleration.find(rec, D("2026-04-01")) is None
    assert outcome(rec, "p1", 10, as_of="2026-04-01").status == limitation.NOT_DUE


def test_a_late_payment_does_not_undo_a_miss() -> None:
    rec = loan(agreements=[AGREEMENT], payments=[("2026-01-27", 10000), ("2026-03-01", 10000), ("2026-03-30", 10000)])
    acc = acceleration.find(rec, D("2026-04-01"))
    assert acc is not None and acc.day == D("2026-03-28")


def test_consecutive_clause_needs_misses_in_a_row() -> None:
    clause = {**AGREEMENT, "acceleration": {"missed": 2, "consecutive": True}}
    # 第1回 paid, 第2回 missed, 第3回 paid (the 2nd payment covers 第2回 late, then 第3回 short), …
    rec = loan(agreements=[clause], payments=[("2026-01-27", 10000), ("2026-03-27", 20000)])
    assert acceleration.find(rec, D("2026-05-01")) is None
    rec = loan(agreements=[clause], payments=[("2026-01-27", 10000)])
    acc = acceleration.find(rec, D("2026-05-01"))
    assert acc is not None and acc.day == D("2026-03-28")


def test_on_demand_clause_waits_for_the_demand_and_the_worklist_is_told_it_may_be_made() -> None:
    clause = {**AGREEMENT, "acceleration": {"missed": 2, "on_demand": True}}
    rec = loan(agreements=[clause], payments=[("2026-01-27", 10000)])
    assert acceleration.find(rec, D("2026-04-01")) is None
    assert acceleration.demandable(rec, D("2026-04-01")) == (D("2026-03-28"), acceleration._basis(clause | {"date": D("2026-01-10")}, [
        *acceleration.missed(clause | {"date": D("2026-01-10")}, [(D("2026-01-27"), 10000)], D("2026-04-01"))]))
    demanded = loan(agreements=[clause], payments=[("2026-01-27", 10000)], demanded_on="2026-04-10")
    acc = acceleration.find(demanded, D("2026-05-01"))
    assert acc is not None and (acc.kind, acc.day, acc.count_from) == ("請求喪失", D("2026-04-10"), D("2026-04-10"))
    assert outcome(demanded, "p1", 10, as_of="2026-05-01").expiry == D("2031-04-10")
    assert acceleration.demandable(demanded, D("2026-05-01")) is None


def test_a_later_agreement_gives_the_time_back_after_a_demand() -> None:
    rec = loan(demanded_on="2025-09-15", agreements=[{**AGREEMENT, "acceleration": {"missed": 3}}])
    assert acceleration.find(rec, D("2025-12-01")) is not None
    assert acceleration.find(rec, D("2026-01-20")) is None


def test_accelerated_period_follows_the_policy() -> None:
    rec = case("2016-05-27", contract=OLD, count=240, principal=240000, agreements=[AGREEMENT],
               payments=[("2026-01-27", 10000)])
    assert outcome(rec, "p1", 10, as_of="2026-04-01").expiry == D("2036-03-27")      # loan: old law, 10 years
    agreement = dataclasses.replace(RULES, accelerated_period="agreement")
    assert outcome(rec, "p1", 10, as_of="2026-04-01", rules=agreement).expiry == D("2031-03-27")


def test_the_whole_balance_is_what_the_agreement_left_unpaid() -> None:
    rec = loan(agreements=[AGREEMENT], payments=[("2026-01-27", 10000), ("2026-04-05", 5000)])
    acc = acceleration.find(rec, D("2026-05-01"))
    assert acc is not None and acceleration.remaining(rec, acc, D("2026-05-01")) == 85000


# --- what the history closes -------------------------------------------------------------------

def test_minpo_145_invocation_closes_what_had_completed_and_leaves_the_rest() -> None:
    rec = case(count=2, principal=20000, history=[entry("2026-05-10 10:00", "時効援用")])
    got = report(rec, "2026-06-01")
    first, second = (next(o for o in got.outcomes if o.party == "p1" and o.installment.number == n) for n in (1, 2))
    assert (first.status, first.closed_on) == (limitation.INVOKED, D("2026-05-10"))
    assert second.status == limitation.EXPIRED                     # completed 2026-05-27, after the invocation
    assert any("第2回" in w and "援用の効力がありません" in w for w in got.warnings)
    guarantor = next(o for o in got.outcomes if o.party == "p2" and o.installment.number == 1)
    assert guarantor.status == limitation.INVOKED and "附従性" in guarantor.steps[-1].article
    assert closures.written_off(got) == [(D("2026-05-10"), 10000)]
    assert limitation.next_deadline(got) is None


def test_minpo_145_a_guarantor_invocation_closes_only_the_guarantor_lines() -> None:
    rec = case(history=[entry("2026-05-10 10:00", "時効援用", "p2")])
    got = report(rec, "2026-06-01")
    assert [(o.party, o.status) for o in got.outcomes] == [("p1", limitation.EXPIRED), ("p2", limitation.INVOKED)]
    assert closures.written_off(got) == []


def test_hasan_253_2_the_guarantor_stays_liable_after_the_borrower_discharge() -> None:
    rec = case(history=[ack("2022-06-01 10:00", "p2"), entry("2024-03-01 10:00", "免責許可")])
    got = report(rec, "2026-06-01")
    borrower, guarantor = got.outcomes
    assert borrower.status == limitation.DISCHARGED
    # 最判平成11年11月9日: the discharged debt no longer runs, so the guarantor has only its own period
    assert (guarantor.own_expiry, guarantor.expiry, guarantor.status) == (D("2027-06-01"), D("2027-06-01"),
                                                                          limitation.RUNNING)
    assert "最判平成11年11月9日" in guarantor.steps[-1].article


def test_hasan_253_2_a_principal_completed_before_the_discharge_can_still_be_invoked() -> None:
    rec = case(history=[ack("2022-06-01 10:00", "p2"), entry("2026-05-01 10:00", "免責許可")])
    assert outcome(rec, "p2", as_of="2026-06-01").expiry == D("2026-04-27")


# --- the weekly situations ------------------------------------------------------------------------

def test_returned_mail_makes_the_address_unknown_until_it_is_searched() -> None:
    rec = case(history=[entry("2026-02-01 10:00", "郵便返戻")])
    assert situations.states(rec, D("2026-02-02"))["p1"].address_unknown
    assert "宛所不明(p1)" in situations.flags(rec, D("2026-02-02"))
    why, fix = situations.refusal(rec, "p1", D("2026-02-02")) or ("", "")
    assert "返戻" in why and "--kind 住所調査 --party p1" in fix
    rec["history"].append({"at": dt.datetime(2026, 2, 10, 10), "kind": "住所調査", "by": "otsu-01", "party": "p1"})
    assert situations.refusal(rec, "p1", D("2026-02-11")) is None


@pytest.mark.parametrize("kind, article", [("破産手続開始", "破産法100条1項"), ("免責許可", "破産法253条1項")])
def test_hasan_no_demand_to_a_bankrupt_or_discharged_borrower_but_the_guarantor_is_named(kind: str, article: str) -> None:
    rec = case(history=[entry("2026-02-01 10:00", kind)])
    why, fix = situations.refusal(rec, "p1", D("2026-03-01")) or ("", "")
    assert article in why and "破産法253条2項" in fix and "保証債務履行請求書" in fix
    assert situations.refusal(rec, "p2", D("2026-03-01")) is None


def test_minpo_896_no_demand_to_the_dead_and_the_fix_names_the_heirs() -> None:
    rec = case(parties=heirs_of_borrower("2分の1", "2分の1"))
    why, fix = situations.refusal(rec, "p1", D("2026-03-01")) or ("", "")
    assert "死亡" in why and "相続人（p3、p4）に宛てて" in fix and "--to p3" in fix
    lone = case(parties=[person("p1", "borrower"), person("p2", "guarantor")],
                history=[entry("2026-02-01 10:00", "死亡判明")])
    why, fix = situations.refusal(lone, "p1", D("2026-03-01")) or ("", "")
    assert "死亡" in why and "相続人調査" in fix


def test_accelerated_period_must_be_one_of_the_readings(tmp_path: Any) -> None:
    (tmp_path / "policies").mkdir()
    text = (ROOT / "policies" / "limitation.yaml").read_text(encoding="utf-8")
    (tmp_path / "policies" / "limitation.yaml").write_text(text.replace("accelerated_period: loan",
                                                                        "accelerated_period: 5年"), encoding="utf-8")
    with pytest.raises(SaikenError, match="accelerated_period は loan / agreement"):
        load_rules(tmp_path)
