"""消滅時効: when each installment's limitation completes, for each person liable for it.

Per installment (割賦金 – each runs from its own due date) and per person (borrower, each joint
guarantor, heirs of a deceased one), starting from the due date – or from claim.demanded_on for
installments not yet due when the creditor demanded the whole balance (期限の利益喪失) – it walks
the events of limitation_events in date order:

- 承認 (payment, acknowledgement, signed agreement) restarts the period: 更新, 民法152条1項
  (before the cutover: 中断, 旧147条3号・157条1項);
- 催告 holds completion off for 6 months (150条1項); one made while an earlier 催告 or a 協議
  still holds it off does nothing (150条2項, 151条3項); before the cutover see the policy
  `old_law_demand_suspends` (旧153条);
- 協議 (a written agreement to negotiate, 151条) holds it off for 1 year, shortened to 6 months
  after a written refusal; renewed by a new agreement while it holds, to at most 5 years after the
  time it would have completed; none while a 催告 holds it off; none before the cutover.
- Nothing revives a completed limitation. An acknowledgement by the person after completion bars
  that person from invoking it (最大判昭和41.4.20): flagged, not computed as a renewal.

Who is bound: events against the borrower bind every guarantor and heir (457条1項) – those the
borrower's own limitation had already outrun excepted, since they renewed nothing to pass on; events
against a guarantor bind the guarantor, and the heirs for events before the death; a 催告 of a
guarantor binds the borrower only under the old law (旧458条・434条; policy
`guarantor_demand_binds_borrower`); an acknowledgement binds only who made it. A guarantor may
also invoke the principal debt's limitation (145条), so a guarantor's result is the earlier of
the two and says so.

Periods end as 民法140条・143条 count them: the first day is not counted, and a period of years or
months ends the day before the corresponding day (or at that month's end). Not modelled: court
action and 支払督促 (147条), 160条 (相続財産), a 協議 agreed for less than a year, events between
co-guarantors, a payment made by someone other than the borrower unless logged as 入金 with party,
automatic acceleration (当然喪失) without a demand, and the new due dates of an installment agreement
(installments keep the loan's due dates: expiries come out earlier, never later – the safe side for
the creditor).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from saiken.casework import allocation, installments
from saiken.casework.limitation.events import (
    ACKNOWLEDGE,
    DEMAND,
    REFUSAL,
    TALKS,
    Event,
    Rules,
    collect,
    load_rules,
)
from saiken.errors import SaikenError

__all__ = ["Step", "Outcome", "Report", "assess", "assess_record", "next_deadline", "period_end", "load_rules"]

ROLE_LABEL = {"borrower": "借受人", "guarantor": "連帯保証人", "heir": "相続人"}
PAID, NOT_DUE, RUNNING, SOON, EXPIRED = "完済", "弁済期未到来", "進行中", "間近", "完成"
ACK_AFTER_EXPIRY = "時効完成後の承認"
ACK_AFTER_PRINCIPAL = "主たる債務の時効完成後の承認"
FLAG_TEXT = {
    ACK_AFTER_EXPIRY: "本人は時効を援用できない可能性があります（最大判昭和41年4月20日）",
    ACK_AFTER_PRINCIPAL: "保証人が主たる債務の時効を援用できるかは争いがあります（弁護士の確認が必要）",
}


@dataclass(frozen=True)
class Step:
    """One event in the trail that made an expiry date."""

    day: dt.date
    kind: str      # 起算 / 更新 / 完成猶予 / 効力なし / 主たる債務の時効 / 完成後の承認
    source: str    # what happened, and against whom when it was someone else
    article: str
    expiry: dt.date | None  # the expiry after this step


@dataclass
class Outcome:
    party: str
    role: str
    installment: installments.Installment
    unpaid: int
    start: dt.date
    expiry: dt.date | None = None      # when this person can invoke it: the later of … (see steps)
    own_expiry: dt.date | None = None  # for a guarantor or heir: their own debt's expiry
    status: str = RUNNING
    steps: list[Step] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    late: set[Event] = field(default_factory=set, repr=False)  # events that came after completion


@dataclass
class Report:
    case_id: str
    as_of: dt.date
    old_law: bool
    years: int
    outcomes: list[Outcome]
    warnings: list[str]
    allocation: allocation.Position | None = None  # the payments under 民法489条, when damages are known


def add_months(day: dt.date, months: int) -> dt.date:
    return installments.add_months(day, months)


@lru_cache(maxsize=8192)  # a case asks the same few dates thousands of times
def period_end(event_day: dt.date, *, years: int = 0, months: int = 0) -> dt.date:
    """Last day of a period counted from an event (140条: not the first day; 143条2項)."""
    start = event_day + dt.timedelta(days=1)
    corresponding = add_months(start, years * 12 + months)
    if corresponding.day != start.day:  # no corresponding day: the period ends at that month's end
        return corresponding
    return corresponding - dt.timedelta(days=1)


_HANDLER = {ACKNOWLEDGE: "_acknowledge", DEMAND: "_demand", TALKS: "_talks", REFUSAL: "_refusal"}


class _Walk:
    """The state of one installment's limitation for one person while events are applied."""

    def __init__(self, start: dt.date, years: int, rules: Rules, old_law: bool, start_source: str) -> None:
        self.rules, self.years = rules, years
        self.expiry = period_end(start, years=years)
        base = "旧民法166条1項・167条1項" if old_law else "民法166条1項1号"
        self.steps = [Step(start, "起算", start_source, f"{base}（{years}年）", self.expiry)]
        self.flags: list[str] = []
        self.late: set[Event] = set()
        self.demand_until: dt.date | None = None  # a 催告 holds completion off until then
        self.talks_until: dt.date | None = None   # a 協議 holds completion off until then
        self.talks_base = self.expiry             # when it would complete without the 協議

    def note(self, ev: Event, kind: str, article: str, source: str) -> None:
        self.steps.append(Step(ev.day, kind, source, article, self.expiry))

    def apply(self, ev: Event, source: str, own: bool) -> None:
        if ev.day > self.expiry:
            self.late.add(ev)
            if ev.kind == ACKNOWLEDGE and own:
                self.flags.append(ACK_AFTER_EXPIRY)
                self.note(ev, "完成後の承認", "最大判昭和41年4月20日（援用は信義則上許されない）", source)
            return
        old = ev.day < self.rules.cutover
        getattr(self, _HANDLER[ev.kind])(ev, source, old)

    def _acknowledge(self, ev: Event, source: str, old: bool) -> None:
        self.expiry = period_end(ev.day, years=self.years)
        self.demand_until = self.talks_until = None
        self.talks_base = self.expiry
        self.note(ev, "中断" if old else "更新", "旧民法147条3号・157条1項" if old else "民法152条1項", source)

    def _demand(self, ev: Event, source: str, old: bool) -> None:
        until = period_end(ev.day, months=self.rules.demand_months)
        why = None
        if old and not self.rules.old_law_demand_suspends:
            why = "旧民法153条（6か月以内の裁判上の請求等が記録にない）"
        elif self.demand_until and ev.day <= self.demand_until:
            why = "民法150条2項（催告による猶予中の再度の催告）"
        elif self.talks_until and ev.day <= self.talks_until:
            why = "民法151条3項（協議による猶予中の催告）"
        if why is not None:
            if until > self.expiry:  # say so only where it would have mattered
                self.note(ev, "効力なし", why, source)
            return
        self.demand_until = until
        if until > self.expiry:
            self.expiry = until
            self.note(ev, "完成猶予", "旧民法153条" if old else "民法150条1項", source)

    def _talks(self, ev: Event, source: str, old: bool) -> None:
        why = None
        if old:
            why = "改正附則10条3項（施行日前の協議の合意）"
        elif self.demand_until and ev.day <= self.demand_until:
            why = "民法151条3項（催告による猶予中の協議の合意）"
        if why is not None:
            if period_end(ev.day, months=self.rules.talks_months) > self.expiry:
                self.note(ev, "効力なし", why, source)
            return
        renewal = self.talks_until is not None and ev.day <= self.talks_until
        if not renewal:
            self.talks_base = self.expiry
        cap = add_months(self.talks_base, self.rules.talks_cap_years * 12)
        until = period_end(ev.day, months=self.rules.talks_months)
        article = "民法151条2項" if renewal else "民法151条1項1号"
        if until > cap:
            until, article = cap, "民法151条2項ただし書（通じて5年まで）"
        self.talks_until = until
        if until > self.expiry or renewal:
            self.expiry = max(self.talks_base, until)
            self.note(ev, "完成猶予", article, source)

    def _refusal(self, ev: Event, source: str, old: bool) -> None:
        if self.talks_until is None or ev.day > self.talks_until:
            return
        self.talks_until = min(self.talks_until, period_end(ev.day, months=self.rules.talks_refusal_months))
        self.expiry = max(self.talks_base, self.talks_until)
        self.note(ev, "完成猶予の短縮", "民法151条1項3号", source)


def _binding(person: dict[str, Any], ev: Event, ctx: "_Context") -> str | None:
    """How `ev` binds `person`: None if it does not, else the source text to show."""
    pid = person["id"]
    if ev.party == pid:
        return ev.source
    origin = ctx.parties.get(ev.party, {})
    label = f"{ROLE_LABEL.get(origin.get('role', ''), '当事者')}{ev.party}の{ev.source}"  # once per person
    if person.get("role") == "heir" and ev.party == person.get("heir_of"):
        died = origin.get("deceased_on")
        return f"{label}（相続）" if died is None or ev.day < died else None
    if ev.party == ctx.borrower and person.get("role") in ("guarantor", "heir"):
        return f"{label}（民法457条1項）"
    if pid == ctx.borrower and ev.kind == DEMAND and origin.get("role") in ("guarantor", "heir"):
        rule = ctx.rules.guarantor_demand_binds_borrower
        if (rule == "contract" and ctx.old_law) or (rule == "event" and ev.day < ctx.rules.cutover):
            return f"{label}（旧民法458条・434条）"
    return None


@dataclass
class _Context:
    rules: Rules
    borrower: str
    parties: dict[str, dict[str, Any]]
    old_law: bool
    years: int
    demanded_on: dt.date | None
    events: list[Event]


def _start(inst: installments.Installment, ctx: _Context) -> tuple[dt.date, str]:
    if ctx.demanded_on and ctx.demanded_on < inst.due:
        return ctx.demanded_on, f"期限の利益喪失（残額一括の請求、本来の弁済期 {inst.due.isoformat()}）"
    return inst.due, f"第{inst.number}回の弁済期"


Bound = list[tuple[Event, str, bool]]  # (event, source text, the person's own act)


def _bound(person: dict[str, Any], ctx: _Context) -> Bound:
    """The events that bind `person`, worked out once for all their installments."""
    out = []
    for ev in ctx.events:
        text = _binding(person, ev, ctx)
        if text is not None:
            out.append((ev, text, ev.party == person["id"]))
    return out


def _walk(bound: Bound, inst: installments.Installment, ctx: _Context, skip: set[Event]) -> _Walk:
    start, source = _start(inst, ctx)
    walk = _Walk(start, ctx.years, ctx.rules, ctx.old_law, source)
    for ev, text, own in bound:
        if ev.day >= start and ev not in skip:
            walk.apply(ev, text, own)
    return walk


def _status(outcome: Outcome, as_of: dt.date, rules: Rules) -> str:
    if outcome.unpaid == 0:
        return PAID
    assert outcome.expiry is not None
    if outcome.expiry < as_of:
        return EXPIRED
    if outcome.start > as_of:
        return NOT_DUE
    if outcome.expiry <= add_months(as_of, rules.warning_months):
        return SOON
    return RUNNING


def _outcome(person: dict[str, Any], bound: Bound, standing: installments.Standing, ctx: _Context,
             principal: Outcome | None, as_of: dt.date) -> Outcome:
    inst = standing.installment
    start, _ = _start(inst, ctx)
    out = Outcome(person["id"], person.get("role", ""), inst, standing.unpaid, start)
    if standing.unpaid > 0:
        # An act of the borrower after the principal debt completed renews nothing, so it has
        # nothing to pass on to the guarantor under 457条1項.
        late = {ev for ev in principal.late if ev.party == ctx.borrower} if principal else set()
        walk = _walk(bound, inst, ctx, late)
        out.expiry, out.steps, out.flags, out.late = walk.expiry, walk.steps, list(walk.flags), walk.late
        if principal is not None and principal.expiry is not None:
            out.own_expiry = walk.expiry
            if any(own and ev.kind == ACKNOWLEDGE and principal.expiry < ev.day for ev, _, own in bound):
                out.flags.append(ACK_AFTER_PRINCIPAL)
            if principal.expiry < walk.expiry:
                out.expiry = principal.expiry
                out.steps = [*walk.steps, Step(principal.expiry, "主たる債務の時効",
                                               f"借受人{ctx.borrower}の債務の時効完成日",
                                               "民法145条（保証人による援用）", principal.expiry)]
    out.status = _status(out, as_of, ctx.rules)
    return out


def assess(record: dict[str, Any], rules: Rules, as_of: dt.date) -> Report:
    """Every installment for every party of `record`, as known on `as_of`."""
    claim = record.get("claim") or {}
    contract = claim.get("contract_date")
    if not isinstance(contract, dt.date):
        raise SaikenError("貸付契約の日（claim.contract_date）がないため、時効期間を決められません。",
                          where="claim.contract_date", hint="`saiken case edit ID` で契約日を書いてください。")
    parties = {p["id"]: p for p in record.get("parties") or [] if isinstance(p, dict) and p.get("id")}
    borrower = next((pid for pid, p in parties.items() if p.get("role") == "borrower"), None)
    if borrower is None:
        raise SaikenError("借受人（role: borrower）がいません。", where="parties")
    events, warnings = collect(record, borrower, as_of)
    demanded = claim.get("demanded_on")
    ctx = _Context(rules, borrower, parties, rules.old_law(contract), rules.years(contract),
                   demanded if isinstance(demanded, dt.date) and demanded <= as_of else None, events)
    position, standings = _standings(record, rules, as_of, ctx, warnings)
    mine = _bound(parties[borrower], ctx)
    principal = [_outcome(parties[borrower], mine, s, ctx, None, as_of) for s in standings]
    outcomes = list(principal)
    for pid, person in parties.items():
        if pid == borrower or person.get("role") not in ("guarantor", "heir"):
            continue
        died = person.get("deceased_on")
        if isinstance(died, dt.date) and died <= as_of:
            heirs = [h for h, p in parties.items() if p.get("heir_of") == pid]
            warnings.append(f"{pid}（{ROLE_LABEL.get(person['role'], '')}）は {died.isoformat()} に死亡: "
                            + (f"相続人 {'、'.join(heirs)} について計算しています。" if heirs
                               else "相続人が記録にありません（相続人調査が必要です）。"))
            continue
        mine = _bound(person, ctx)
        outcomes += [_outcome(person, mine, s, ctx, p, as_of) for s, p in zip(standings, principal)]
    return Report(str(record.get("case_id", "")), as_of, ctx.old_law, ctx.years, outcomes, warnings, position)


def _standings(record: dict[str, Any], rules: Rules, as_of: dt.date, ctx: _Context,
               warnings: list[str]) -> tuple[allocation.Position | None, list[installments.Standing]]:
    """Principal paid per installment: under 489条 (damages first) when the damages policy is known."""
    if rules.damages is None:
        warnings.append("policies/damages.yaml がないため、入金を元金だけに充当して計算しています（遅延損害金なし）。")
        return None, installments.standings(record, as_of)
    position = allocation.compute(record, rules.damages, as_of, start=lambda inst: _start(inst, ctx)[0])
    return position, position.standings()


def next_deadline(report: Report) -> Outcome | None:
    """The running limitation that completes first – what a worklist should act on."""
    live = [o for o in report.outcomes if o.status in (SOON, RUNNING) and o.expiry is not None]
    return min(live, key=lambda o: (o.expiry, o.installment.number)) if live else None


def assess_record(root: Path, record: dict[str, Any], as_of: dt.date) -> Report:
    """assess() with the rules of the records repository at `root`."""
    return assess(record, load_rules(root), as_of)
