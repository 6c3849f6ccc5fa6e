"""Receipts (受領確認): the receiving party's acknowledgement of a handover, in ledger/receipts.yaml.

A handover commit by one organisation (甲 or 乙) is acknowledged by an active handler of the other
one, with `saiken ledger receive COMMIT`: an entry is appended to ledger/receipts.yaml and committed
by the receiver – signed (`git commit -S`) when the receiver has `user.signingkey` configured. The
entry holds no personal data: the commit id, the receiver's handler id, the date, the method, and
the head of the receiver's access log at that moment (line count and hash, and which log): kept in
the ward's repository and signed, it lets `saiken access-log verify` catch a log rewritten since.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saiken.core import policy, yamlio
from saiken.core.files import atomic_write
from saiken.errors import SaikenError
from saiken.git import gitio, signing
from saiken.ledger import accesslog
from saiken.ledger.handovers import RECEIPTS_FILE, Handover, Receipt, read_history

_HEADER = """\
# 受渡しの受領確認（個人情報データの受渡し確認書の「受領確認」欄）
# `saiken ledger receive COMMIT` が追記し、受け取った取扱者がコミットします。手で編集しないでください。
# 個人情報は書きません: コミット ID・受け取った取扱者の ID・日付・方法と、そのときのアクセス記録の
# 最終行のハッシュ（access_log。saiken access-log verify が照合します）だけです。
"""


def load(root: Path) -> list[Receipt]:
    path = root / RECEIPTS_FILE
    if not path.exists():
        return []
    data = policy.load_yaml(root, RECEIPTS_FILE, {})
    entries = data.get("receipts")
    if not isinstance(entries or [], list):
        raise SaikenError("「receipts:」の下に受領確認を「- 」で並べてください。", where=RECEIPTS_FILE)
    out: list[Receipt] = []
    for n, e in enumerate(entries or []):
        if not isinstance(e, dict) or not e.get("commit") or not e.get("receiver"):
            raise SaikenError("受領確認の項目に commit か receiver がありません。", where=f"{RECEIPTS_FILE}: receipts[{n}]")
        date = e.get("date")
        if not isinstance(date, dt.date):
            raise SaikenError("date は YYYY-MM-DD 形式の日付です。", where=f"{RECEIPTS_FILE}: receipts[{n}]")
        out.append(Receipt(str(e["commit"]), str(e["receiver"]), date, str(e.get("method") or "git"),
                           e.get("signed")))
    return out


def access_log_heads(root: Path) -> list[tuple[str, accesslog.Head]]:
    """The access-log heads the receipts carry (label, head): each receiver's log as it was when the
    receipt was committed, which `saiken access-log verify` holds the local log to. Read from the
    committed ledger (HEAD) as well as the work tree's: a receipt edited in the work tree to fit a
    rewritten log still meets the committed one."""
    sources: list[tuple[str, bytes | None]] = []
    try:
        sources.append(("HEAD", gitio.file_at(root, ["HEAD"], RECEIPTS_FILE)[0]))
    except gitio.GitError:
        pass  # no commit yet
    path = root / RECEIPTS_FILE
    sources.append(("", path.read_bytes() if path.is_file() else None))
    out: dict[accesslog.Head, str] = {}
    for where, raw in sources:
        if raw is None:
            continue
        for n, e in enumerate(policy.parse_yaml(raw, RECEIPTS_FILE, {}).get("receipts") or []):
            mark = e.get("access_log") if isinstance(e, dict) else None
            if isinstance(mark, dict) and isinstance(mark.get("lines"), int) and mark.get("head") and mark.get("log"):
                head = accesslog.Head(mark["lines"], str(mark["head"]), str(mark["log"]))
                out.setdefault(head, f"{RECEIPTS_FILE} の受領確認 {n + 1} 件目（{e.get('receiver')}、{e.get('date')}）"
                               + ("（コミット済みの版）" if where else ""))
    return [(label, head) for head, label in out.items()]


_ENTRY = re.compile(r"^\+\s*-\s*commit:\s*['\"]?([0-9a-f]{7,64})")
_RECEIVER = re.compile(r"^\+\s+receiver:\s*['\"]?([A-Za-z0-9._-]+)")


def prove(root: Path, receipts: list[Receipt]) -> list[Receipt]:
    """Each receipt as git proves it, not as the file says: the commit that added its entry to
    ledger/receipts.yaml (on the current branch) must be committed by the receiver – the handler's
    e-mail in policies/handlers.yaml as committer –, and `signed` is whether git verifies that
    commit's signature by the receiver's signing_key. An entry written by anyone else (the other
    side filling in its own acknowledgement), or not committed yet, is kept with its doubt: it shows,
    and counts as 未確認. One `git log -p` over the file's history, one signature check."""
    if not receipts:
        return receipts
    added = _added_entries(root)
    handlers = {h.id: h for h in policy.load_handlers(root)}
    keys = [(h.id, h.signing_key) for h in handlers.values() if h.signing_key]
    made = {added[(r.commit, r.receiver)][0] for r in receipts if (r.commit, r.receiver) in added}
    sigs = signing.verify(root, sorted(made), keys) if keys else {}
    out = []
    for r in receipts:
        who = handlers.get(r.receiver)
        found = added.get((r.commit, r.receiver))  # ids as `ledger receive` writes them: in full
        if who is None:
            doubt: str | None = f"取扱者として登録されていない {r.receiver} のものです"
        elif found is None:
            doubt = "まだコミットされていません"
        elif not who.email or found[1].strip().lower() != who.email.strip().lower():
            doubt = f"{r.receiver} 本人がコミットしたものではありません（コミット {found[0][:12]}）"
        else:
            doubt = None
        sig = sigs.get(found[0]) if found else None
        signed = bool(sig and sig.good and sig.principal == r.receiver) if doubt is None else None
        out.append(Receipt(r.commit, r.receiver, r.date, r.method, signed, doubt))
    return out


def _added_entries(root: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(handover commit, receiver) → (the commit that first added that entry, its committer e-mail),
    from the added lines of ledger/receipts.yaml's history as `saiken ledger receive` writes them."""
    try:
        out = gitio.text(["log", "--reverse", "--no-renames", "-p", "--unified=0",
                          "--format=%x00%H %ce", "HEAD", "--", RECEIPTS_FILE], root)
    except gitio.GitError:
        return {}  # no commit yet
    added: dict[tuple[str, str], tuple[str, str]] = {}
    for block in out.split("\0")[1:]:
        head, _, diff = block.partition("\n")
        commit, _, email = head.partition(" ")
        entry: str | None = None
        for line in diff.splitlines():
            m = _ENTRY.match(line)
            if m:
                entry = m.group(1)
                continue
            m = _RECEIVER.match(line)
            if m and entry is not None:
                added.setdefault((entry, m.group(1)), (commit, email))
                entry = None
            elif not line.startswith("+"):
                entry = None
    return added


def attach(rows: list[Handover], receipts: list[Receipt]) -> None:
    by_commit: dict[str, list[Receipt]] = {}
    for r in receipts:
        by_commit.setdefault(r.commit, []).append(r)
    for row in rows:
        row.receipts = by_commit.get(row.commit, [])


@dataclass(frozen=True)
class Outcome:
    receipt: Receipt
    ledger_commit: str
    signed: bool


def _handover(root: Path, commit: str) -> Handover:
    rows = [r for r in read_history(root, (commit,)) if r.commit == commit]
    if not rows:
        raise SaikenError(f"コミット {commit[:12]} は記録（records/）の受渡しではありません。",
                          hint="受渡しの一覧は `saiken ledger handovers` で確認できます。")
    return rows[0]


def _receiver(root: Path) -> policy.Handler:
    """The active handler whose e-mail git will record as committer."""
    email = gitio.committer_email(root)
    if not email:
        raise SaikenError("git のメールアドレスが設定されていません。",
                          hint="git config user.email 取扱者として登録したアドレス")
    handlers = policy.load_handlers(root)
    me = next((h for h in handlers if h.email and h.email.strip().lower() == email.strip().lower()), None)
    if me is None:
        raise SaikenError(f"git のメールアドレス {email} の取扱者が {policy.HANDLERS_FILE} にいません。",
                          hint="`git config user.email` を取扱者として登録したアドレスにするか、"
                               "`saiken handler list` で登録を確かめてください。")
    if not me.active:
        raise SaikenError(f"取扱者「{me.id}」は指定を解除されているため、受領確認できません。", where=policy.HANDLERS_FILE)
    return me


def _check_other_party(me: policy.Handler, handover: Handover) -> None:
    if handover.author_org is None:
        raise SaikenError(f"コミット {handover.commit[:12]} の作成者は、その時点で取扱者として登録されていません。"
                          "受領確認できるのは取扱者からの受渡しだけです。",
                          hint="`saiken ledger handovers` で「渡した者」を確認してください。")
    if me.organisation == handover.author_org:
        raise SaikenError(f"このコミットは同じ{me.organisation}の取扱者（{handover.author_handler}）が作成したものです。"
                          f"受領確認は相手方（{'乙' if me.organisation == '甲' else '甲'}）の取扱者が行います。")


def receive(root: Path, rev: str, on: dt.date) -> Outcome:
    commit = gitio.resolve_commit(root, rev)
    if commit is None:
        raise SaikenError(f"コミット「{rev}」が見つかりません。", hint="`saiken ledger handovers` で確認してください。")
    if not gitio.is_ancestor(root, commit):
        raise SaikenError(f"コミット {commit[:12]} は現在のブランチの履歴にありません。",
                          hint="`git pull` で相手方の変更を取り込んでから実行してください。")
    me = _receiver(root)
    handover = _handover(root, commit)
    _check_other_party(me, handover)
    done = [r for r in load(root) if r.commit == commit and r.receiver == me.id]
    if done:
        raise SaikenError(f"コミット {commit[:12]} は {me.id} が {done[0].date.isoformat()} に受領確認済みです。")
    sign = gitio.config_get(root, "user.signingkey") is not None
    receipt = Receipt(commit, me.id, on, "git", sign)
    _append(root, receipt, accesslog.head(root))
    try:
        ledger_commit = gitio.commit_paths(root, [RECEIPTS_FILE], f"受領確認: {commit[:12]}（{me.id}）", sign=sign)
    except gitio.GitError as exc:
        _undo(root)
        raise SaikenError("受領確認のコミットに失敗しました（台帳は元に戻しました）。\n" + exc.stderr.strip(),
                          where=RECEIPTS_FILE,
                          hint="署名の設定（user.signingkey、gpg.format）を確かめてから再実行してください。") from None
    return Outcome(receipt, ledger_commit, sign)


def _append(root: Path, receipt: Receipt, log_head: accesslog.Head) -> None:
    path = root / RECEIPTS_FILE
    path.parent.mkdir(exist_ok=True)
    text = yamlio.decode(path.read_bytes(), where=RECEIPTS_FILE) if path.exists() else _HEADER + "receipts: []\n"
    doc: Any = yamlio.rt_load(text, where=RECEIPTS_FILE)
    if not isinstance(doc, dict) or not isinstance(doc.get("receipts") or [], list):
        raise SaikenError("「receipts:」の下に受領確認を「- 」で並べてください。", where=RECEIPTS_FILE)
    if doc.get("receipts") is None:
        doc["receipts"] = []
    doc["receipts"].append({"commit": receipt.commit, "receiver": receipt.receiver, "date": receipt.date,
                            "method": receipt.method, "signed": receipt.signed,
                            "access_log": {"log": log_head.log_id, "lines": log_head.lines, "head": log_head.hash}})
    atomic_write(path, yamlio.rt_dump(doc).encode())


def _undo(root: Path) -> None:
    gitio.run(["reset", "-q", "--", RECEIPTS_FILE], root, check=False)
    tracked = gitio.run(["ls-files", "--", RECEIPTS_FILE], root).strip()
    if tracked:
        gitio.run(["checkout", "-q", "--", RECEIPTS_FILE], root, check=False)
    else:
        (root / RECEIPTS_FILE).unlink(missing_ok=True)
