"""相続 in a record: reading 相続分 (share) and the checks that keep heirs consistent.

An heir succeeds to the deceased party's debts in proportion to the share (民法896条・899条):
the heir of a deceased borrower is a principal debtor for that share, the heir of a deceased joint
guarantor a guarantor for it. `share` is written as staff read it from the family register –
2分の1, 1/2, 三分の一, 全部 – and read here into a Fraction.

The checks run with the schema (records.Store.validate), so a record that breaks them is not
saved: the heirs of one deceased party who have not renounced must have shares that add up to
exactly 1 (a renouncer is treated as never having been an heir, 939条, so the others' shares are
the ones to correct); 限定承認 is made by all of them jointly (923条); renunciation and limited
acceptance are an heir's acts, after the death, and not both.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from fractions import Fraction
from typing import Any

from saiken.redaction import quoted

WHOLE = ("全部", "全", "単独", "単独相続", "全部相続", "1分の1")
_KANJI = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SHARE = re.compile(r"(?P<den>[0-9一二三四五六七八九十]+)分の(?P<num>[0-9一二三四五六七八九十]+)")
_SLASH = re.compile(r"(?P<num>\d+)/(?P<den>\d+)")
EXAMPLES = "2分の1、1/2、三分の一、全部"


class ShareError(ValueError):
    pass


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    # 一〜九十九: [十の位]十[一の位]
    tens, _, ones = text.partition("十")
    if "十" not in text:
        if len(text) == 1 and text in _KANJI:
            return _KANJI[text]
        raise ShareError(text)
    if (tens and tens not in _KANJI) or (ones and ones not in _KANJI):
        raise ShareError(text)
    return (_KANJI[tens] if tens else 1) * 10 + (_KANJI[ones] if ones else 0)


def parse_share(value: Any) -> Fraction:
    """相続分 as a Fraction in (0, 1]; ShareError for anything else."""
    if isinstance(value, bool) or value is None:
        raise ShareError(str(value))
    if isinstance(value, int):
        text = str(value)
    else:
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    if text in WHOLE or text == "1":
        return Fraction(1)
    match = _SHARE.fullmatch(text) or _SLASH.fullmatch(text)
    if match is None:
        raise ShareError(text)
    num, den = _number(match["num"]), _number(match["den"])
    if den == 0 or num == 0 or num > den:
        raise ShareError(text)
    return Fraction(num, den)


def show(share: Fraction) -> str:
    """A share as documents print it: 全部, 2分の1."""
    return "全部" if share == 1 else f"{share.denominator}分の{share.numerator}"


Problems = list[tuple[str, str]]


def _date(value: Any) -> dt.date | None:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else None


def problems(record: dict[str, Any]) -> Problems:
    """What is wrong with the heirs of `record`, each with where and how to fix it."""
    case_id = record.get("case_id") or "事案番号"
    fix = f"（直し方: `saiken case edit {case_id}`）"
    parties = [p for p in record.get("parties") or [] if isinstance(p, dict)]
    by_id = {p.get("id"): p for p in parties}
    out: Problems = []
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, p in enumerate(parties):
        out += _own_problems(i, p, by_id, fix)
        if p.get("role") == "heir" and p.get("heir_of") in by_id:
            groups.setdefault(str(p["heir_of"]), []).append((i, p))
    for deceased, heirs in groups.items():
        out += _group_problems(deceased, heirs, fix)
    return out


def _own_problems(i: int, p: dict[str, Any], by_id: dict[Any, dict[str, Any]], fix: str) -> Problems:
    where = f"parties[{i}]"
    out: Problems = []
    if p.get("role") != "heir":
        for key in ("share", "renounced_on", "limited_acceptance_on"):
            if p.get(key) is not None:
                out.append((f"{where}.{key}", f"相続人（role: heir）でない当事者には書けません。{fix}"))
        return out
    origin = by_id.get(p.get("heir_of"))
    if origin is None:
        return out  # named by schema.cross_checks
    died = _date(origin.get("deceased_on"))
    if origin.get("role") not in ("borrower", "guarantor"):
        out.append((f"{where}.heir_of", f"相続元（{p.get('heir_of')}）は借受人か連帯保証人です（相続人の相続人は"
                                        f"扱えません。亡くなった相続人の相続人を、借受人・連帯保証人の相続人として書いてください）。{fix}"))
    if died is None:
        out.append((f"{where}.heir_of", f"相続元の当事者 {p.get('heir_of')} に死亡日（deceased_on）がありません。"
                                        f"戸籍で確かめた死亡日を {p.get('heir_of')} の deceased_on に書いてください。{fix}"))
    renounced, limited = _date(p.get("renounced_on")), _date(p.get("limited_acceptance_on"))
    if renounced and limited:
        out.append((where, f"相続放棄（renounced_on）と限定承認（limited_acceptance_on）は両方は書けません。{fix}"))
    for key, day in (("renounced_on", renounced), ("limited_acceptance_on", limited)):
        if died and day and day < died:
            out.append((f"{where}.{key}", f"死亡日（{died.isoformat()}）より前の日付です。家庭裁判所の受理の日を書いてください。{fix}"))
    if p.get("share") is not None:
        try:
            parse_share(p["share"])
        except ShareError:
            out.append((f"{where}.share", f"相続分「{quoted(p['share'])}」を読めません。{EXAMPLES} のように書いてください。{fix}"))
    elif not renounced:
        out.append((f"{where}.share", f"相続人には相続分（share、例: 2分の1）が必要です（民法899条: 相続分に応じて"
                                      f"債務を承継します）。{fix}"))
    return out


def _group_problems(deceased: str, heirs: list[tuple[int, dict[str, Any]]], fix: str) -> Problems:
    staying = [(i, p) for i, p in heirs if not _date(p.get("renounced_on"))]
    if not staying:
        return []
    total = Fraction(0)
    for _, p in staying:
        try:
            total += parse_share(p.get("share"))
        except ShareError:
            return []  # the unreadable share is named already
    ids = "、".join(str(p.get("id")) for _, p in staying)
    out: Problems = []
    if total != 1:
        renounced = [str(p.get("id")) for i, p in heirs if _date(p.get("renounced_on"))]
        note = (f"相続放棄をした {'、'.join(renounced)} は初めから相続人でなかったものとみなされるため"
                "（民法939条）、残る相続人の相続分を直してください。") if renounced else ""
        out.append(("parties", f"死亡した当事者 {deceased} の相続人（{ids}）の相続分の合計が {_fraction(total)} です。"
                               f"合計が 1 になるように直してください。{note}{fix}"))
    limited = [p for _, p in staying if _date(p.get("limited_acceptance_on"))]
    if limited and len(limited) != len(staying):
        out.append(("parties", f"死亡した当事者 {deceased} の相続人の一部にだけ限定承認（limited_acceptance_on）があります。"
                               f"限定承認は相続人全員が共同でします（民法923条）。{ids} の全員に同じ日付を書いてください。{fix}"))
    return out


def _fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.denominator}分の{value.numerator}"
