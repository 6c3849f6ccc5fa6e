"""Evidence the terms ask for, due by date, from ledger/ (terms 11, 12, 15–19).

A repository-level check: it looks at the state of ledger/ and records/ on a date (`--as-of`),
not at the files of one commit, so the runner runs it for `saiken check --all` (and CI, the server)
only. File formats are those of `ledger_files` in policies/special-terms.yaml.

- 従事者教育 (18) and 甲の確認・監査 (15–17): at least one entry per fiscal year in force. Missing
  ones are warnings: a reminder that cannot block a record's commit, since the contractor cannot
  fix 甲's audit by committing.
- After the contract's end (11, 12): no record may remain, media must be returned, and an erasure
  with its certificate must be recorded – errors.
- 事故 (19): each incident needs the date 甲 was notified and the date of the written report – errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Iterator

from saiken.checks import ERROR, WARNING, Finding, FindingMaker
from saiken.checks.context import CheckInput, is_record_path
from saiken.errors import SaikenError
from saiken.wareki import fiscal_year, fiscal_year_label

ID = "evidence"
TERMS = (11, 12, 15, 16, 17, 18, 19)
SEVERITY = ERROR
TITLE = "研修・監査・事故報告・返還と消去の記録を ledger/ に期限までに残す"
SCOPE = "repository"

TRAININGS, AUDITS, ERASURES = "ledger/trainings.yaml", "ledger/audits.yaml", "ledger/erasures.yaml"
INCIDENTS, MEDIA, CONTRACT = "ledger/incidents.yaml", "ledger/media.yaml", "policies/contract.yaml"
_found = FindingMaker(ID, TERMS, SEVERITY)


def fy_label(year: int) -> str:
    return f"{fiscal_year_label(year)}（{year}年度）"


def contract_end(contract: dict[str, Any]) -> dt.date | None:
    if isinstance(contract.get("end"), dt.date):
        return contract["end"]
    periods = [p for p in contract.get("periods") or [] if isinstance(p, dict)]
    if contract.get("renewal") == "yearly" or not periods:
        return None
    return max(p["to"] for p in periods if isinstance(p.get("to"), dt.date))


def fiscal_years_in_force(contract: dict[str, Any], as_of: dt.date) -> list[int]:
    starts = [p["from"] for p in contract.get("periods") or [] if isinstance(p, dict) and isinstance(p.get("from"), dt.date)]
    if not starts:
        return []
    end = contract_end(contract)
    last = min(as_of, end) if end else as_of
    return list(range(fiscal_year(min(starts)), fiscal_year(last) + 1))


def check(inp: CheckInput) -> Iterable[Finding]:
    as_of = inp.ctx.as_of or dt.date.today()
    contract = inp.file_yaml(CONTRACT) or {}
    years = fiscal_years_in_force(contract, as_of)
    yield from _yearly(inp, TRAININGS, "trainings", "従事者教育（個人情報の適正な管理・情報セキュリティ・条例の周知）",
                       (18,), years, as_of)
    yield from _yearly(inp, AUDITS, "audits", "甲による確認（立入り調査等）・監査", (15, 16, 17), years, as_of)
    yield from _incidents(inp)
    end = contract_end(contract)
    if end is not None and as_of > end:
        yield from _after_end(inp, end)


def _entries(inp: CheckInput, rel: str, key: str) -> tuple[list[dict[str, Any]], list[Finding]]:
    try:
        data = inp.file_yaml(rel)
    except SaikenError as exc:
        return [], [_found(rel, None, f"{exc.message} {rel} を直してください。")]
    if data is None:
        return [], []
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [], [_found(rel, key, f"「{key}:」の下に記録を「- 」で並べてください（書式は policies/special-terms.yaml の ledger_files）。")]
    return entries, []


def _dated(entries: list[dict[str, Any]], rel: str, key: str, field: str = "date") -> Iterator[tuple[dt.date | None, Finding | None]]:
    for n, e in enumerate(entries):
        d = e.get(field)
        if isinstance(d, dt.date) and not isinstance(d, dt.datetime):
            yield d, None
        else:
            yield None, _found(rel, f"{key}[{n}].{field}", f"{field} は YYYY-MM-DD 形式の日付です。{rel} を直してください。")


def _yearly(inp: CheckInput, rel: str, key: str, what: str, terms: tuple[int, ...], years: list[int],
            as_of: dt.date) -> Iterator[Finding]:
    entries, problems = _entries(inp, rel, key)
    yield from problems
    done: set[int] = set()
    for d, problem in _dated(entries, rel, key):
        if problem is not None:
            yield problem
        elif d is not None:
            done.add(fiscal_year(d))
    for year in years:
        if year in done:
            continue
        fy_end = dt.date(year + 1, 3, 31)
        when = (f"{fy_label(year)}の{what}の記録がありません" if as_of > fy_end
                else f"今年度（{fy_label(year)}）の{what}がまだ記録されていません（期限 {fy_end.isoformat()}）")
        yield _found(rel, fy_label(year), f"{when}。実施したら {rel} に記録してコミットしてください。",
                     severity=WARNING, terms=terms)


def _incidents(inp: CheckInput) -> Iterator[Finding]:
    entries, problems = _entries(inp, INCIDENTS, "incidents")
    yield from problems
    for n, e in enumerate(entries):
        label = f"incidents[{n}]" + (f"（{e['id']}）" if e.get("id") else "")
        for field, what in (("notified", "甲への通知日"), ("report", "書面による報告の提出日")):
            if not isinstance(e.get(field), dt.date):
                yield _found(INCIDENTS, label, f"事故の{what}（{field}）がありません。特記事項19により、速やかに甲へ通知し、"
                             f"状況を書面で報告します。報告したら {INCIDENTS} に日付を記録してください。", terms=(19,))


def _after_end(inp: CheckInput, end: dt.date) -> Iterator[Finding]:
    left = sum(1 for f in inp.files if is_record_path(f.path))
    if left:
        yield _found("records/", None, f"契約は {end.isoformat()} に終了していますが、記録が {left} 件残っています。"
                     "甲に返還・引き渡したうえで `git rm records/*.yaml.age` で削除し、乙の鍵を破棄してください。",
                     terms=(11,))
    erasures, problems = _entries(inp, ERASURES, "erasures")
    yield from problems
    if not any(isinstance(e.get("certificate"), dt.date) for e in erasures):
        yield _found(ERASURES, None, f"契約終了（{end.isoformat()}）後の個人情報の消去と、消去証明書の提出日（certificate）が"
                     f"記録されていません。消去（鍵の破棄）をしたら {ERASURES} に記録し、証明書を甲に提出してください。",
                     terms=(11, 12))
    media, problems = _entries(inp, MEDIA, "media")
    yield from problems
    for n, m in enumerate(media):
        if not isinstance(m.get("returned"), dt.date):
            label = f"media[{n}]" + (f"（{m['id']}）" if m.get("id") else "")
            yield _found(MEDIA, label, f"媒体が返還されていません（returned がありません）。委託期間終了後は区に返還します。"
                         f"返還したら {MEDIA} に返還日を記録してください。", terms=(11,))
