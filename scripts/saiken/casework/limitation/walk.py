"""One installment's limitation for one person, walked event by event (see the package's text).

Periods end as 民法140条・143条 count them: the first day is not counted, and a period of years or
months ends the day before the corresponding day (or at that month's end).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from saiken.casework import installments
from saiken.casework.limitation.events import ACKNOWLEDGE, DEMAND, REFUSAL, TALKS, Event, Rules

ACK_AFTER_EXPIRY = "時効完成後の承認"


@dataclass(frozen=True)
class Step:
    """One event in the trail that made an expiry date."""

    day: dt.date
    kind: str      # 起算 / 更新 / 完成猶予 / 効力なし / 主たる債務の時効 / 完成後の承認
    source: str    # what happened, and against whom when it was someone else
    article: str
    expiry: dt.date | None  # the expiry after this step


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


class Walk:
    """The state of one installment's limitation for one person while events are applied."""

    def __init__(self, start: dt.date, years: int, rules: Rules, old_law: bool, start_source: str,
                 start_article: str = "") -> None:
        self.rules, self.years = rules, years
        self.expiry = period_end(start, years=years)
        base = "旧民法166条1項・167条1項" if old_law else "民法166条1項1号"
        self.steps = [Step(start, "起算", start_source, f"{base}（{years}年）{start_article}", self.expiry)]
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
