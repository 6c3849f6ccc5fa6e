"""遅延損害金: the rate for each installment and the yen it accrues, from policies/damages.yaml.

The rate of an installment is the one in force on the first day of its default – the day after its
due date, or after the day it fell due by acceleration – and stays for the whole delay (民法419条1項;
5 % for a default that began before 2020-04-01, 改正附則17条3項). The ward's own rate
(条例・貸付契約: a liquidated-damages clause, 420条1項) replaces the statutory one when the file has
one; whether it has one is for the ward to confirm (`ward.confirmed`, shipped false: 要確認).

Counting: one year is 365 days, leap years too (29 February counts as a day, the divisor stays
365); the delay runs from the day after the due date to the day of payment, both included; each
installment's damages are rounded down to the yen. Amounts are kept exact (integer numerators over
36500 × the rate's denominator) until that rounding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property, lru_cache
from fractions import Fraction
from pathlib import Path
from typing import Any

from saiken.core.policy import load_yaml
from saiken.errors import SaikenError

DAMAGES_FILE = "policies/damages.yaml"
DAYS_IN_YEAR = 365
STATUTORY, WARD = "法定利率", "区の定め"


@dataclass(frozen=True)
class Rate:
    percent: Fraction
    since: dt.date | None
    until: dt.date | None
    basis: str
    source: str  # STATUTORY or WARD

    def covers(self, day: dt.date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)

    @property
    def text(self) -> str:
        """年3パーセント, 年10.75パーセント."""
        value = self.percent
        shown = str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
        return f"年{shown}パーセント"

    @cached_property
    def denominator(self) -> int:
        """Damages × this is a whole number for any principal and days (see `accrue`)."""
        return 100 * DAYS_IN_YEAR * self.percent.denominator

    def accrue(self, principal: int, days: int) -> int:
        """principal × rate × days / 365, as a numerator over `denominator`."""
        return principal * self.percent.numerator * days


@dataclass(frozen=True)
class Policy:
    statutory: tuple[Rate, ...]
    ward: tuple[Rate, ...]
    ward_confirmed: bool

    @lru_cache(maxsize=4096)  # noqa: B019 – policies are few and live as long as the process
    def rate_for(self, default_began: dt.date) -> Rate:
        """The rate for a delay that began on `default_began` (民法419条1項, 420条1項)."""
        rates = self.ward or self.statutory
        found = next((r for r in rates if r.covers(default_began)), None)
        if found is None:
            part = "ward.rates" if self.ward else "statutory"
            what = "区の定めの率" if self.ward else "法定利率"
            raise SaikenError(f"{default_began.isoformat()} に遅滞が始まった割賦金の{what}が書かれていません。",
                              where=f"{DAMAGES_FILE} の {part}",
                              hint=f"{DAMAGES_FILE} の {part} に、その日を含む期（from・until・percent・basis）を"
                                   "足してください（法定利率は法務省の告示で確かめます）。")
        return found

    def notes(self) -> list[str]:
        """What a lawyer must know before relying on the figures (要確認)."""
        if self.ward_confirmed:
            return []
        if self.ward:
            return [f"区の定めによる遅延損害金の率（{DAMAGES_FILE} の ward.rates）は要確認のまま"
                    "（confirmed: false）です。区に確認してください。"]
        return [f"区の条例・貸付契約に遅延損害金の率の定めがあるかは要確認のまま（{DAMAGES_FILE} の "
                "ward.confirmed: false）です。法定利率で計算しています。区に確認してください。"]


def _percent(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise SaikenError(f"percent は 0 から 100 までの数で書いてください（今は {value}）。", where=where,
                          hint="年3% なら percent: 3、年10.75% なら percent: 10.75 と書きます。")
    return Fraction(str(value))


def _day(entry: dict[str, Any], key: str, where: str) -> dt.date | None:
    value = entry.get(key)
    if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
        raise SaikenError(f"{key} は YYYY-MM-DD 形式の日付です（今は {value}）。", where=where)
    return value


def _rates(entries: Any, part: str, source: str) -> tuple[Rate, ...]:
    if not isinstance(entries, list):
        raise SaikenError(f"{part} は「- {{from: …, percent: …}}」の一覧で書いてください。",
                          where=DAMAGES_FILE, hint=f"配布時の {DAMAGES_FILE} を見本にしてください。")
    out: list[Rate] = []
    for n, entry in enumerate(entries):
        where = f"{DAMAGES_FILE} の {part}[{n}]"
        if not isinstance(entry, dict):
            raise SaikenError("期は {from: …, until: …, percent: …, basis: …} の形で書いてください。", where=where)
        since, until = _day(entry, "from", where), _day(entry, "until", where)
        if not str(entry.get("basis") or "").strip():
            raise SaikenError("basis（根拠: 条文・告示・条例の条）がありません。", where=where)
        out.append(Rate(_percent(entry.get("percent"), where), since, until, str(entry["basis"]).strip(), source))
    _contiguous(out, part)
    return tuple(out)


def _contiguous(rates: list[Rate], part: str) -> None:
    """Periods in date order with neither gap nor overlap; only the ends may be open."""
    for n, (a, b) in enumerate(zip(rates, rates[1:]), 1):
        if a.until is None or b.since is None or b.since != a.until + dt.timedelta(days=1):
            raise SaikenError(f"{part}[{n - 1}] と {part}[{n}] の期が続いていません（until の翌日を次の from にします）。",
                              where=DAMAGES_FILE, hint="期は日付の順に、すき間も重なりもなく並べてください。")
    for n, r in enumerate(rates):
        if r.since and r.until and r.until < r.since:
            raise SaikenError(f"{part}[{n}] の until が from より前です。", where=DAMAGES_FILE)


def load(root: Path) -> Policy:
    """policies/damages.yaml as a typed policy; a clear error names what is wrong."""
    if not (root / DAMAGES_FILE).is_file():
        raise SaikenError("遅延損害金の率のファイル（ポリシーファイル）がありません。", where=DAMAGES_FILE,
                          hint="saiken のリポジトリにある policies/damages.yaml を記録リポジトリの policies/ に"
                               "コピーし、区の条例・貸付契約の率を区に確認してもらってください。")
    data = load_yaml(root, DAMAGES_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("ward"), dict):
        raise SaikenError("内容が statutory: と ward: の「キー: 値」の形ではありません。", where=DAMAGES_FILE,
                          hint=f"配布時の {DAMAGES_FILE} を見本にしてください。")
    statutory = _rates(data.get("statutory"), "statutory", STATUTORY)
    if not statutory:
        raise SaikenError("statutory（法定利率）が空です。", where=DAMAGES_FILE)
    ward = data["ward"]
    if not isinstance(ward.get("confirmed"), bool):
        raise SaikenError("ward.confirmed は true か false です。", where=DAMAGES_FILE,
                          hint="区が条例・貸付契約の率を確認したら true にします（それまでは false）。")
    return Policy(statutory, _rates(ward.get("rates") or [], "ward.rates", WARD), ward["confirmed"])


def load_optional(root: Path) -> Policy | None:
    """The policy, or None when the repository has no policies/damages.yaml (an older repository)."""
    return load(root) if (root / DAMAGES_FILE).is_file() else None
