"""Numbers that must never be collected are refused inside the records too (term 3: 適正収集).

A record may hold the seven items the council was told of; a マイナンバー (個人番号) may not be
collected at all outside the uses the 番号法 names, and a card number, a PIN, a 基礎年金番号 or a
health-insurance number is never needed to collect a scholarship loan. The patterns are those of
saiken.checks.patterns (the same ones pii_outside applies outside the records), run on every string
value of every record the runner can open – after one cheap look at the whole folded record, which
in the common case finds neither a long run of digits nor a label. The value is masked (last 4
digits) and quoted as the record's text (saiken.redaction). No consent lifts it: the law does not.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from saiken.checks import ERROR, FileInput, Finding, FindingMaker, patterns
from saiken.checks.context import CheckInput, OpenedRecord
from saiken.checks.prohibited import record_strings
from saiken.redaction import quoted

ID = "never_collect"
TERMS = (3,)
SEVERITY = ERROR
TITLE = "マイナンバー（個人番号）・カード番号・暗証番号など、収集してはならない番号を記録に書かない"
NEEDS_IDENTITY = True  # reads the opened records only: without a key it finds nothing

_found = FindingMaker(ID, TERMS, SEVERITY)


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    rec = inp.record(f)
    if rec is None or rec.data is None or not _may_hold(rec):
        return
    found = list(_in_fields(rec, inp))
    if not found and rec.text is not None:  # a label in a key, or in the field before the number
        found = [(f"{rec.text.count(chr(10), 0, m.start) + 1}行目", m) for m in patterns.find_never(rec.text)]
    for where, m in found:
        yield _found(f.path, where, f"{m.kind}らしい値（{quoted(m.masked)}）があります。{patterns.WHY_NEVER[m.kind]}。"
                     f"この記述を削除し `saiken case edit {rec.case_id}` で保存し直してください"
                     "（既にコミットした版は履歴に残るため、取扱責任者に相談してください）。")


def _may_hold(rec: OpenedRecord) -> bool:
    """A look at the whole record before any field: YAML escapes (\\u…) could hide a label, so a
    record with a backslash is looked at field by field."""
    return rec.text is None or "\\" in rec.text or patterns.may_hold_never(rec.folded or "")


def _in_fields(rec: OpenedRecord, inp: CheckInput) -> Iterator[tuple[str, Any]]:
    for field, value in record_strings(rec.data, inp):
        for m in patterns.find_never(value):
            yield field, m
