"""Evidence the terms ask for, due by date, from ledger/ (terms 11, 12, 15–19).

A repository-level check: it judges the state of ledger/, policies/ and records/ on a date
(`--as-of`), not the files of one commit, so the runner runs it for `saiken check --all` (and CI)
only. What is due, and when, is decided in one place – saiken.ledger.evidence.due, which the 取扱状況報告
and the site use too; this check only turns its findings into check findings. In short:
- 従事者教育 (18) of every active handler and 甲の確認・監査 (15–17), each fiscal year in force:
  warnings – reminders that a commit cannot fix (the contractor cannot record 甲's audit).
- 事故 (19): 甲 notified and the written report given by the deadlines of policies/incidents.yaml.
- After the contract's end (11, 12): media returned, no record still encrypted to a 乙 handler's key
  (seen without decrypting: ssh key tags, records/manifest.yaml), 乙's handlers taken off, and an
  erasure with its certificate in ledger/erasures.yaml – errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.context import CheckInput, is_record_path
from saiken.ledger import evidence

ID = "evidence"
TERMS = (11, 12, 15, 16, 17, 18, 19)
SEVERITY = ERROR
TITLE = "研修・監査・事故報告・返還と消去の記録を ledger/ に期限までに残す"
SCOPE = "repository"

_found = FindingMaker(ID, TERMS, SEVERITY)


def check(inp: CheckInput) -> Iterable[Finding]:
    tree = evidence.Tree(inp.raw, lambda: ((f.path, f.data) for f in inp.files if is_record_path(f.path)),
                         inp.ctx.policy)
    for due in evidence.due(tree, inp.ctx.as_of or dt.date.today()):
        yield _found(due.file, due.where, due.message, severity=due.severity, terms=due.terms or None)
