"""The rules change only by a commit 甲 signed, and read as plain data (terms 4, 5, 6, 13).

The rules – policies/ (the handlers, the information items, the lexicon, what is scanned for names),
ledger/consents.yaml (甲's consents, the only way to lift a finding of terms 4–6), the hook
configuration – decide every other check. What the trusted base says of a commit's own change to
them (saiken.checks.trust: unsigned, signed by someone who may not sign, new rules that do not read)
comes with the commit's Context and is reported here, next to every other finding.

Every policy or ledger YAML file under check is also read as plain data: no anchor or alias (an
"alias bomb" of 1.7 KB grows to gigabytes when walked) and no more than its size cap.
"""

from __future__ import annotations

from typing import Iterable

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.context import CheckInput
from saiken.core import yamlio
from saiken.errors import SaikenError

ID = "rules"
TERMS = (4, 5, 6, 13)
SEVERITY = ERROR
TITLE = "規則（policies/・ledger/consents.yaml・フックの設定）は甲の取扱者が署名したコミットだけで変え、そのまま読めるデータで書く"

_found = FindingMaker(ID, TERMS, SEVERITY)


def check(inp: CheckInput) -> Iterable[Finding]:
    yield from inp.ctx.rule_findings
    for f in inp.files:
        if f.path.startswith(("policies/", "ledger/")) and f.path.endswith((".yaml", ".yml")):
            problem = _not_plain(f.path, f.data)
            if problem is not None:
                yield _found(f.path, None, problem)


def _not_plain(path: str, data: bytes) -> str | None:
    try:
        yamlio.refuse_oversize(len(data), where=path, limit=yamlio.size_limit(path))
        yamlio.refuse_anchors(data.decode("utf-8", "replace"), where=path)
    except SaikenError as exc:
        return f"{exc.message}{exc.hint or ''}"
    return None
