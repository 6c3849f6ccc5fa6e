"""Pushes go only to a designated remote (term 6, 持出しの禁止).

The pre-push hook gives the URL git is pushing to (Context.remote); it must match one of the
patterns in policies/remotes.yaml of the tree being pushed (shell-style wildcards, `*` and `?`).
Without a remote (any other place the checks run, or a pushed tree with no records/ folder, such
as saiken's own source: the hook leaves it unset) there is nothing to judge.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterable

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.context import CheckInput
from saiken.errors import SaikenError

ID = "remote"
TERMS = (6,)
SEVERITY = ERROR
TITLE = "push 先は policies/remotes.yaml で指定された場所だけ（指定場所の外への持出し禁止）"

REMOTES_FILE = "policies/remotes.yaml"
_found = FindingMaker(ID, TERMS, SEVERITY)


def patterns(inp: CheckInput) -> list[str]:
    """The permitted push destinations; a list written in another shape is an error naming the
    file (read at every push, and by `check --all` so that it fails before a push does)."""
    conf = inp.file_yaml(REMOTES_FILE) or {}
    entries = conf.get("remotes") or []
    if not isinstance(entries, list):
        raise SaikenError("「remotes:」の下に送信先を「- url: …」の形で並べてください。", where=REMOTES_FILE)
    out = []
    for n, entry in enumerate(entries):
        url = entry.get("url") if isinstance(entry, dict) else entry
        if not isinstance(url, str) or not url.strip():
            raise SaikenError(f"remotes[{n}]: 送信先の URL（url: …）を文字列で書いてください。", where=REMOTES_FILE)
        out.append(url)
    return out


def matches(url: str, pats: list[str]) -> bool:
    return any(fnmatchcase(url, p) or fnmatchcase(url.rstrip("/"), p.rstrip("/")) for p in pats)


def check(inp: CheckInput) -> Iterable[Finding]:
    url = inp.ctx.remote
    if url is None:
        return
    pats = patterns(inp)
    if matches(url, pats):
        return
    listed = "、".join(pats) if pats else "（指定なし）"
    yield _found(REMOTES_FILE, None,
                 f"push 先 {url} は指定された送信先ではありません（指定: {listed}）。個人情報を甲が指定した場所の"
                 f"外へ持ち出すことになるため、push を中止しました。指定された送信先に push してください"
                 f"（送信先の追加は甲の承諾を得て {REMOTES_FILE} に記載してから）: git push （指定された remote 名）")
