"""The rules and the events the limitation engine reads from a record.

Rules that could not be verified, or that are a reading of the law rather than its text, are data
in `policies/limitation.yaml` (periods, suspension lengths, the 2020-04-01 cutover, whether a demand
on the guarantor binds the borrower). Events are what happened, per person:

| record                                             | event        |
|----------------------------------------------------|--------------|
| claim.payments[] (by `party`, absent = borrower)   | 承認 (152条) of the payer only |
| history 入金, or any entry with acknowledged: true | 承認          |
| agreements[] with signed: true (each party, or the borrower) | 承認 |
| history 督促状送付 / 催告書送付 / 保証債務履行請求書送付 | 催告 (150条) |
| history 協議合意                                     | 協議 (151条)  |
| history 拒絶 (a written refusal to continue talks)  | 拒絶 (151条1項3号) |

A 督促状 under 地方自治法施行令171条 for a private-law claim is a 催告, not the statutory 督促
with renewal effect that public-law claims have. `history.party` says against whom; absent means
the borrower – except for 保証債務履行請求書送付, which without a party is left out (and warned).
Nothing said to or done by a person after their death (deceased_on) is an event: a letter to the
dead binds nobody, and a payment after the borrower's death that names no payer is nobody's 承認.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saiken.casework import damages
from saiken.core.policy import load_yaml
from saiken.errors import SaikenError

RULES_FILE = "policies/limitation.yaml"
ACKNOWLEDGE, DEMAND, TALKS, REFUSAL = "承認", "催告", "協議", "拒絶"
DEMAND_KINDS = ("督促状送付", "催告書送付", "保証債務履行請求書送付")
BINDING_CHOICES = ("contract", "event", "never")
PERIOD_CHOICES = ("loan", "agreement")


@dataclass(frozen=True)
class Rules:
    cutover: dt.date
    old_law_years: int
    new_law_years: int
    demand_months: int
    old_law_demand_suspends: bool
    talks_months: int
    talks_refusal_months: int
    talks_cap_years: int
    guarantor_demand_binds_borrower: str
    warning_months: int
    accelerated_period: str = "loan"  # the period of a balance accelerated under an agreement
    # policies/damages.yaml: with it, payments go to costs and damages before principal (民法489条)
    damages: damages.Policy | None = None

    def old_law(self, contract_date: dt.date) -> bool:
        return contract_date < self.cutover

    def years(self, contract_date: dt.date) -> int:
        return self.old_law_years if self.old_law(contract_date) else self.new_law_years


def _get(data: dict[str, Any], path: str, kind: type) -> Any:
    node: Any = data
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    if kind is int and (isinstance(node, bool) or not isinstance(node, int) or node < 0):
        node = None
    if node is None or not isinstance(node, kind):
        raise SaikenError(f"「{path}」がないか、形式が正しくありません。", where=RULES_FILE,
                          hint=f"{RULES_FILE} の {path} を直してください（配布時の内容は saiken のリポジトリにあります）。")
    return node


def load_rules(root: Path) -> Rules:
    """policies/limitation.yaml as typed rules; a clear error names the field that is wrong."""
    if not (root / RULES_FILE).is_file():
        raise SaikenError("消滅時効の規則のファイル（ポリシーファイル）がありません。", where=RULES_FILE,
                          hint="saiken のリポジトリにある policies/limitation.yaml を、記録リポジトリの policies/ に"
                               "コピーし、内容を弁護士に確認してもらってください。")
    data = load_yaml(root, RULES_FILE)
    if not isinstance(data, dict):
        raise SaikenError("内容が「キー: 値」の形ではありません。", where=RULES_FILE)
    binding = _get(data, "guarantor_demand_binds_borrower", str)
    if binding not in BINDING_CHOICES:
        raise SaikenError(f"guarantor_demand_binds_borrower は {' / '.join(BINDING_CHOICES)} のいずれかです（{binding}）。",
                          where=RULES_FILE)
    period = _get(data, "accelerated_period", str) if "accelerated_period" in data else "loan"
    if period not in PERIOD_CHOICES:
        raise SaikenError(f"accelerated_period は {' / '.join(PERIOD_CHOICES)} のいずれかです（{period}）。",
                          where=RULES_FILE)
    return Rules(
        accelerated_period=period,
        cutover=_get(data, "cutover", dt.date),
        old_law_years=_get(data, "periods.old_law_years", int),
        new_law_years=_get(data, "periods.new_law_years", int),
        demand_months=_get(data, "demand_suspension_months", int),
        old_law_demand_suspends=_get(data, "old_law_demand_suspends", bool),
        talks_months=_get(data, "negotiation.months", int),
        talks_refusal_months=_get(data, "negotiation.refusal_months", int),
        talks_cap_years=_get(data, "negotiation.cap_years", int),
        guarantor_demand_binds_borrower=binding,
        warning_months=_get(data, "warning_months", int),
        damages=damages.load_optional(root),
    )


@dataclass(frozen=True)
class Event:
    day: dt.date
    kind: str    # 承認 / 催告 / 協議 / 拒絶
    source: str  # what happened: 入金, 合意書, 督促状送付, …
    party: str   # the party id it was made by or against
    where: str   # the record field it comes from


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _history_event(entry: dict[str, Any], n: int, borrower: str,
                   warnings: list[str]) -> Event | None:
    kind, where = entry.get("kind"), f"history[{n}]"
    party = entry.get("party")
    if kind == "保証債務履行請求書送付" and party is None:
        warnings.append(f"{where}: 保証債務履行請求書送付に相手方（party）がないため、時効の計算に入れていません。")
        return None
    party = party or borrower
    day = _day(entry.get("at"))
    if kind in DEMAND_KINDS:
        return Event(day, DEMAND, str(kind), party, where)
    if kind == "協議合意":
        return Event(day, TALKS, "協議を行う旨の合意", party, where)
    if kind == "拒絶":
        return Event(day, REFUSAL, "協議続行の拒絶", party, where)
    if kind == "入金":
        return Event(day, ACKNOWLEDGE, "入金", party, where)
    if entry.get("acknowledged") is True:
        return Event(day, ACKNOWLEDGE, f"{kind}（債務の承認）", party, where)
    return None


def _alive(parties: dict[str, dict[str, Any]], ev: Event) -> bool:
    died = parties.get(ev.party, {}).get("deceased_on")
    return not isinstance(died, dt.date) or ev.day <= died


def collect(record: dict[str, Any], borrower: str, as_of: dt.date) -> tuple[list[Event], list[str]]:
    """Every limitation event up to `as_of`, oldest first (duplicates of one act merged)."""
    warnings: list[str] = []
    events: list[Event] = []
    parties = {str(p.get("id")): p for p in record.get("parties") or []}
    claim = record.get("claim") or {}
    for n, p in enumerate(claim.get("payments") or []):
        payer = p.get("party") or borrower
        events.append(Event(p["date"], ACKNOWLEDGE, "入金", str(payer), f"claim.payments[{n}]"))
    for n, a in enumerate(record.get("agreements") or []):
        if a.get("signed") is True:
            for party in a.get("parties") or [borrower]:
                events.append(Event(a["date"], ACKNOWLEDGE, "合意書（署名済み）", party, f"agreements[{n}]"))
    for n, h in enumerate(record.get("history") or []):
        ev = _history_event(h, n, borrower, warnings)
        if ev is not None:
            events.append(ev)
    seen: set[tuple[dt.date, str, str]] = set()
    unique = []
    for ev in sorted(events, key=lambda e: (e.day, e.kind != ACKNOWLEDGE, e.where)):
        key = (ev.day, ev.kind, ev.party)
        if ev.day > as_of or key in seen:
            continue
        if not _alive(parties, ev):
            if ev.where.startswith("history"):
                warnings.append(f"{ev.where}: {ev.party} の死亡後の{ev.source}は、時効の計算に入れていません"
                                "（相続人に宛てて記録してください）。")
            continue
        seen.add(key)
        unique.append(ev)
    return unique, warnings
