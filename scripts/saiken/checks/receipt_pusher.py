"""A receipt is pushed by its receiver (ward-operational-2: the 確認書's 受領確認).

An entry of ledger/receipts.yaml is the receiving handler's acknowledgement of a handover. The
ledger report already counts only entries committed by the receiver (saiken.ledger.receipts.prove),
and signed ones as 署名付き, but a committer's e-mail is whatever its writer sets: the other side
could write the acknowledgement it wants and commit it in the receiver's name.

Behind gitolite the server knows who pushes: the handler whose SSH key logged in (GL_USER, the
handler id – saiken.server names the keys so). So a push that adds a receipt entry – one that is in
none of its commit's parents, merges included – is accepted only from the receiver it names; from
anyone else it is refused with what to do. A receiver's own commits pushed by someone else (passed
on outside the server) are refused too: the receiver pushes them.

Without gitolite (GL_USER unset: a plain bare repository, a local `saiken check --range`) nothing
is known about who pushes, and nothing is judged here; nor when gitolite itself pushes
(`saiken server setup --import` restoring a history whose receipts were judged when first pushed).
"""

from __future__ import annotations

import os
from pathlib import Path

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.evidence import rel
from saiken.core import yamlio
from saiken.errors import SaikenError
from saiken.git import gitio

ID = "receipts"
TERMS = (2,)
SEVERITY = ERROR
PUSHER_ENV = "GL_USER"
BYPASS_ENV = "GL_BYPASS_ACCESS_CHECKS"  # `gitolite push`: no SSH user
RECEIPTS = rel("receipts")

_found = FindingMaker(ID, TERMS, SEVERITY)


def pusher() -> str | None:
    """The handler id gitolite authenticated for this push, or None when nobody is known."""
    if os.environ.get(BYPASS_ENV):
        return None
    return os.environ.get(PUSHER_ENV) or None


def added_receipts(cwd: Path, commits: list[list[str]]) -> dict[str, list[tuple[str, str]] | None]:
    """commit -> the (handover commit, receiver) entries it adds to ledger/receipts.yaml (entries in
    none of its parents), for each of `commits` ([commit, parent…]) that adds any; None for a
    commit whose file cannot be read as receipts (then nobody can tell whose they are)."""
    names = sorted({f"{c}:{RECEIPTS}" for commit in commits for c in commit})
    blobs = dict(gitio.cat_blobs(cwd, names))
    out: dict[str, list[tuple[str, str]] | None] = {}
    for commit, *parents in commits:
        now = blobs.get(f"{commit}:{RECEIPTS}")
        before = [blobs.get(f"{p}:{RECEIPTS}") for p in parents]
        if now is None or now in before:
            continue
        pairs = _pairs(now)
        if pairs is None:
            out[commit] = None
            continue
        had: set[tuple[str, str]] = set()
        for blob in before:
            had |= set(_pairs(blob) or [])
        added = [p for p in pairs if p not in had]
        if added:
            out[commit] = added
    return out


def _pairs(blob: bytes | None) -> list[tuple[str, str]] | None:
    if blob is None:
        return []
    try:
        data = yamlio.fast_load(blob.decode("utf-8", "strict"), what=yamlio.RULES)
    except (SaikenError, UnicodeDecodeError):
        return None
    entries = data.get("receipts") if isinstance(data, dict) else None
    if data is not None and not isinstance(entries or [], list):
        return None
    pairs = []
    for e in entries or []:
        if not isinstance(e, dict):
            return None
        pairs.append((str(e.get("commit") or ""), str(e.get("receiver") or "")))
    return pairs


def findings(cwd: Path, commits: list[list[str]], who: str) -> dict[str, list[Finding]]:
    """commit -> why its receipts may not come from `who`."""
    out: dict[str, list[Finding]] = {}
    for commit, added in added_receipts(cwd, commits).items():
        if added is None:
            out[commit] = [_found(RECEIPTS, None, f"{RECEIPTS} を受領確認として読めないため、誰の確認かを確かめられません"
                                  "（受け付けません）。`saiken ledger receive` が書いた形に戻して（`git rebase -i`）から、"
                                  "もう一度 push してください。")]
            continue
        wrong = [(handover, receiver) for handover, receiver in added if receiver != who]
        if wrong:
            handover, receiver = wrong[0]
            more = f"（ほか {len(wrong) - 1} 件）" if len(wrong) > 1 else ""
            out[commit] = [_found(RECEIPTS, f"受領確認 {handover[:12]}",
                                  f"取扱者 {receiver or '（空）'} の受領確認{more}を、{who} の鍵で push しています。受領確認は"
                                  "受け取った取扱者本人が `saiken ledger receive コミット` で記録し、本人の鍵で push します"
                                  "（本人でない人が書いた確認は、受渡しの確認書になりません）。このコミットを取り除いて"
                                  f"（`git rebase -i`）から push し、受領確認は {receiver or '受け取った取扱者'} に記録してもらってください。")]
    return out
