"""Recorded consents of 甲 (ledger/consents.yaml) – the only way to lift a finding (terms 4, 5, 6).

Terms 4, 5 and 6 allow an exception only 「甲の承諾があるとき」. A consent names exactly one case
id and one category; the runner lifts a finding only when both match the finding's consent key.
This check keeps the file honest: every entry complete, given by a designated handler of 甲, and
for term 5 naming a category of the lexicon. An entry that fails lifts nothing.

    consents:
      - {id: SHODAKU-2021-001, case_id: C-AB12CD34, category: 犯罪, term: 5, date: 2021-06-01, by: kou-01}
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.context import CONSENTS_FILE, LEXICON_FILE, CheckInput
from saiken.core import schema
from saiken.errors import SaikenError

ID = "consents"
TERMS = (4, 5, 6)
SEVERITY = ERROR
TITLE = "甲の承諾は ledger/consents.yaml に、事案番号と区分ごとに記録する"

CONSENT_TERMS = (4, 5, 6)
_found = FindingMaker(ID, TERMS, SEVERITY)
_FIX = f"{CONSENTS_FILE} のこの承諾を直してください（書式はファイル先頭の説明と policies/special-terms.yaml の ledger_files）。"


def check(inp: CheckInput) -> Iterable[Finding]:
    _, problems = _load(inp)
    for where, message in problems:
        yield _found(CONSENTS_FILE, where, f"{message}。この承諾では検査結果は解除されません。{_FIX}")


def valid_consents(inp: CheckInput) -> dict[tuple[str, str], str]:
    """(case id, category) → consent id, for every entry that passes the check."""
    return _load(inp)[0]


def _load(inp: CheckInput) -> tuple[dict[tuple[str, str], str], list[tuple[str, str]]]:
    try:
        data = inp.file_yaml(CONSENTS_FILE)
    except SaikenError as exc:
        return {}, [("", exc.message.rstrip("。"))]
    if data is None:
        return {}, []
    entries = data.get("consents") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return {}, [("consents", "「consents:」の下に承諾を「- 」で並べてください")]
    valid: dict[tuple[str, str], str] = {}
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    categories = _categories(inp)
    for n, entry in enumerate(entries):
        where = f"consents[{n}]"
        why = _problem(entry, inp, categories)
        if why is None and str(entry["id"]) in seen:
            why = f"承諾番号「{entry['id']}」が重複しています"
        if why is not None:
            problems.append((where, why))
            continue
        seen.add(str(entry["id"]))
        valid[(str(entry["case_id"]), str(entry["category"]))] = str(entry["id"])
    return valid, problems


def _categories(inp: CheckInput) -> set[str]:
    try:
        lexicon = inp.file_yaml(LEXICON_FILE) or {}
    except SaikenError:
        return set()
    return {str(c.get("id")) for c in lexicon.get("categories") or [] if isinstance(c, dict)}


def _problem(entry: Any, inp: CheckInput, categories: set[str]) -> str | None:
    if not isinstance(entry, dict):
        return "承諾は「キー: 値」のまとまりで書いてください"
    missing = [k for k in ("id", "case_id", "category", "term", "date", "by") if entry.get(k) in (None, "")]
    if missing:
        return f"必要な項目がありません: {', '.join(missing)}"
    if not schema.CASE_ID.match(str(entry["case_id"])):
        return f"case_id「{entry['case_id']}」は事案番号の形ではありません（氏名は書けません）"
    if entry["term"] not in CONSENT_TERMS:
        return f"term は甲の承諾で例外にできる特記事項 {', '.join(map(str, CONSENT_TERMS))} のいずれかです"
    if entry["term"] == 5 and str(entry["category"]) not in categories:
        return f"category「{entry['category']}」は {LEXICON_FILE} の区分 id ではありません"
    if not isinstance(entry["date"], dt.date) or isinstance(entry["date"], dt.datetime):
        return "date は承諾日（YYYY-MM-DD）です"
    handler = inp.ctx.policy.handler(str(entry["by"]))
    if handler is None or handler.organisation != "甲":
        return f"by「{entry['by']}」は policies/handlers.yaml に登録された甲の取扱者 ID ではありません"
    return None
