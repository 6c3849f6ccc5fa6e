"""Commits that change records/ are made by a designated, active handler (term 13).

The author comes from the hook (`git var GIT_AUTHOR_IDENT` at commit-msg time, the commit object
in `--range` and pre-receive) as "Name <email>"; it is matched by e-mail address against the
`email` of the active handlers in policies/handlers.yaml of the same tree. Without an author
(a plain `saiken check`) there is nothing to judge. The messages name the e-mail address only.
"""

from __future__ import annotations

import re
from typing import Iterable

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.context import CheckInput
from saiken.core.policy import HANDLERS_FILE
from saiken.core.layout import RECORDS_DIR

ID = "author"
TERMS = (13,)
SEVERITY = ERROR
TITLE = "records/ を変更するコミットは、指定された有効な取扱者が作成する"

_found = FindingMaker(ID, TERMS, SEVERITY)
_EMAIL = re.compile(r"<([^<>]*)>\s*$")


def email_of(author: str) -> str:
    m = _EMAIL.search(author)
    return (m.group(1) if m else author).strip().lower()


def touches_records(path: str) -> bool:
    """A file of the records folder (the empty-folder marker of `saiken init` is not a record)."""
    return path.startswith(RECORDS_DIR + "/") and not path.endswith("/.gitkeep")


def check(inp: CheckInput) -> Iterable[Finding]:
    author = inp.ctx.author
    if author is None:
        return
    touched = [f.path for f in inp.files if touches_records(f.path)]
    if not touched:
        return
    email = email_of(author)
    active = {h.email.strip().lower() for h in inp.ctx.policy.active_handlers if h.email}
    if email in active:
        return
    known = {h.email.strip().lower() for h in inp.ctx.policy.handlers if h.email}
    why = ("指定を解除された取扱者です" if email in known
           else f"{HANDLERS_FILE} の有効な取扱者（active: true）の email にありません")
    yield _found(touched[0], None,
                 f"records/ を変更するコミットの作成者 <{email}> は、{why}（{len(touched)} 件のファイル）。"
                 f"取扱者として指定されたアドレスでコミットしてください: "
                 f"git config user.email （handlers.yaml の email） のあと git commit --amend --reset-author")
