"""The per-record checks on a record about to be saved (`case new`, `case edit`, `case log`, `case pay`).

The commit hook would refuse a record with a prohibited category (term 5), a field outside the
permitted items (term 3) or a number that must never be collected; the commands that write a
record refuse it first, so a handler never sees 保存しました for something the commit will not take.
One code path per check: the record goes through the checks' own runner (saiken.checks.runner.run),
with every check that looks inside records (NEEDS_IDENTITY) and the consents of 甲 applied, exactly
as the hook runs them. To let the runner open it as it opens a committed record, the text is
encrypted in memory to a one-time key made for this check – nothing is written anywhere, and no
key of the user's is needed (a new record is checked before any passphrase is asked for).

Errors raise a SaikenError listing every finding (the editor shows it at the top and re-opens);
warnings (要配慮: 通院 …) are printed and do not stop the save.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from pyrage import x25519

from saiken.checks import FileInput, Finding, registry
from saiken.checks.context import Context, worktree_reader
from saiken.checks.runner import Report, run
from saiken.core import crypto
from saiken.core.records import Store
from saiken.errors import SaikenError

Echo = Callable[[str], None]


def record_checks() -> list[str]:
    """The ids of the checks that look inside a record (what a commit of one record runs on its content)."""
    return [cid for cid, m in registry().items() if getattr(m, "NEEDS_IDENTITY", False) and hasattr(m, "check_file")]


def _one_time_key() -> crypto.LoadedIdentity:
    ident = x25519.Identity.generate()
    return crypto.LoadedIdentity(Path("（検査用の一時鍵）"), ident, str(ident.to_public()))


def judge(store: Store, case_id: str, text: str) -> Report:
    """The findings of the per-record checks on `text` as the record `case_id` of `store`."""
    key = _one_time_key()
    data = crypto.encrypt(text.encode("utf-8"), [crypto.RecipientKey.parse(key.public)])
    ctx = Context(store.policy, worktree_reader(store.root), [key])
    return run([FileInput(store.rel(case_id), data)], ctx, only=record_checks())


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def require(store: Store, case_id: str, text: str, echo: Echo = _stderr) -> list[Finding]:
    """Refuse `text` when a per-record check finds an error; print the warnings; return them."""
    report = judge(store, case_id, text)
    if report.errors:
        raise SaikenError("保存できません。記録に特記事項に反する箇所があります:\n"
                          + "\n".join(f"  {f.render()}" for f in report.errors),
                          hint="各行の対処のとおりに直してください（記録は書き換えていません）。"
                               "甲の承諾があるときは ledger/consents.yaml に承諾を記録してから保存します。")
    for finding in report.warnings:
        echo(f"注意（保存はします）: {finding.render()}")
    return report.warnings
