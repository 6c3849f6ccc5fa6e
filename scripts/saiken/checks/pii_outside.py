"""Personal data outside the encrypted records (terms 2, 7).

File names, the commit message and the plain files listed in policies/personal-data.yaml (ledger/,
docs/, policies/ …) must not hold a party's name, kana, address, phone, e-mail or birth date. The
terms come from every record the runner can open (pii_terms); without an identity only the generic
patterns apply (patterns). Messages never repeat the personal data itself: they name the kind, the
case id and the line, since findings end up in terminals and CI logs; a name found in a file name
is quoted in the path (saiken.redaction), so a log shows the path without it.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Iterator

from saiken.checks import ERROR, WARNING, Finding, FindingMaker, cache, patterns
from saiken.checks.cache import content_id
from saiken.checks.context import PERSONAL_DATA_FILE, TERMS_MEMO, CheckInput, is_record_path
from saiken.checks.pii_terms import Term, TermIndex, without_staff
from saiken.checks.term_cache import TermCache, TermSet
from saiken.checks.text import Folded, fold
from saiken.core.records import RECORDS_DIR
from saiken.redaction import quoted

ID = "pii_outside"
TERMS = (2, 7)
SEVERITY = ERROR
TITLE = "氏名・住所などの個人情報を、記録の外（ファイル名・コミットメッセージ・ledger/ など）に書かない"

COMMIT_MESSAGE = "(コミットメッセージ)"
DEFAULT_SCAN = ["ledger/", "docs/", "policies/"]
_found = FindingMaker(ID, TERMS, SEVERITY)


def check(inp: CheckInput) -> Iterable[Finding]:
    conf = inp.file_yaml(PERSONAL_DATA_FILE) or {}
    scan = [str(p) for p in conf.get("scan") or DEFAULT_SCAN]
    public = patterns.public_numbers(list(conf.get("public") or []))
    # (path, text – None for a file name) of everything searched; folded only when there are terms
    targets: list[tuple[str, str | None]] = []
    for f in inp.files:
        targets.append((f.path, None))
        if _scanned(f.path, scan):
            text = _text(f.data)
            if text is not None:
                targets.append((f.path, text))
    if inp.ctx.commit_message is not None:
        targets.append((COMMIT_MESSAGE, _strip_comments(inp.ctx.commit_message)))
    folded = [fold(path if text is None else text) for path, text in targets] if inp.ctx.identities else []
    index = _index(inp, [f.text for f in folded])
    for n, (path, text) in enumerate(targets):
        if text is None:
            if index:
                yield from _names(path, folded[n], index)
        else:
            yield from _content(path, text, folded[n] if index else None, index, public,
                                inp.ctx.message_committed)


def party_data_in(inp: CheckInput, text: str) -> list[tuple[str, str]]:
    """(case id, kind) for each party's name, address, phone … of the records `inp` can open that
    `text` holds in full: what this check would report in a file, asked before the file is
    written (a ledger entry). A family or given name alone stays the commit's warning."""
    if not inp.ctx.identities:
        return []
    folded = fold(text)
    return party_data_found(_index(inp, [folded.text]), folded.text)


def party_data_found(index: TermIndex | TermSet, folded_text: str) -> list[tuple[str, str]]:
    """(case id, kind) for each party's data in full (not a lone family or given name) that a folded
    text holds: the one rule for "this text names a party" (also `saiken erase`'s search)."""
    return [(t.case_id, t.kind) for _, t in _first_per_kind(index.search(folded_text)) if not t.part]


def cache_key(inp: CheckInput) -> str | None:
    """What a clean result depends on: every path and content under check and every record's
    ciphertext (policy and identities are in the cache's own key). A commit message is never
    hashed into a stored key (a short message with a name could be guessed back), so a run
    with a message is always recomputed."""
    if inp.ctx.commit_message is not None:
        return None
    h = hashlib.sha256()
    for f in sorted([*inp.files, *inp.ctx.record_sources], key=lambda f: f.path):
        h.update(f"{f.path}\0{content_id(f)}\0".encode())
    return cache.key(ID, h.hexdigest())


def _index(inp: CheckInput, texts: list[str]) -> TermIndex | TermSet:
    """Terms of every record the runner can open: those under check and the rest of the tree.

    The quick set (term_cache; kept from the last run, or made afresh) answers when none of its
    terms occurs in `texts`; only a hit builds the exact index, which says whose term it is."""
    if not inp.ctx.identities:
        return TermIndex([])
    under_check = {f.path for f in inp.files}
    records = [f for f in inp.files if is_record_path(f.path)]
    records += [f for f in inp.ctx.record_sources if f.path not in under_check and is_record_path(f.path)]
    staff = [h.name for h in inp.ctx.policy.handlers]
    known = inp.memo.get(TERMS_MEMO)
    cache = TermCache(inp.cache_dir, inp.ctx.identities)
    quick = cache.quick(records, known, staff) or cache.fresh(records, inp.max_bytes, known, staff)
    if not any(next(quick.search(t), None) for t in texts):
        cache.save()
        return quick
    terms = without_staff(cache.terms(records, inp.max_bytes, known=known), staff)
    cache.save()
    return TermIndex(terms)


def _scanned(path: str, scan: list[str]) -> bool:
    if path.startswith(RECORDS_DIR + "/"):
        return False
    return any(path.startswith(p) if p.endswith("/") else path == p for p in scan)


def _text(data: bytes) -> str | None:
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _strip_comments(message: str) -> str:
    # git drops '#' lines from the message it stores; keep line numbers by blanking them
    return "\n".join("" if line.startswith("#") else line for line in message.splitlines())


def _names(path: str, folded: Folded, index: TermIndex | TermSet) -> Iterator[Finding]:
    hits = list(index.search(folded.text))
    shown_path = masked_path(path, folded, hits)  # the name found is the record's text: quoted, hidden in a log
    for _, term in _first_per_kind(hits):
        what = f"{term.kind}の一部（姓または名）と同じ語" if term.part else term.kind
        yield _found(shown_path, "ファイル名", f"ファイル名に事案 {term.case_id} の当事者の{what}が含まれています。"
                     "ファイル名は暗号化されません。"
                     f"`git mv {shown_path} 新しい名前` で事案番号など個人を特定しない名前に改めてください。",
                     severity=WARNING if term.part else ERROR)


def masked_path(path: str, folded: Folded, hits: list[tuple[int, Term]]) -> str:
    """`path` with every place a term was found quoted (saiken.redaction), all of them in every
    finding: masking only a finding's own term would leave the other name of the path in the open."""
    spans: list[list[int]] = []
    for start, end in sorted((folded.index[pos], folded.index[pos + len(t.folded) - 1] + 1) for pos, t in hits):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    out, at = "", 0
    for start, end in spans:
        out += path[at:start] + quoted(path[start:end])
        at = end
    return out + path[at:]


def _content(path: str, text: str, folded: Folded | None, index: TermIndex | TermSet, public: set[str],
             committed: bool) -> Iterator[Finding]:
    if path != COMMIT_MESSAGE:
        fix = f"{path} から削除し、代わりに事案番号を使ってください。既にコミットした場合は取扱責任者に相談してください。"
    elif committed:  # pre-push, pre-receive, check --range: the commit exists
        fix = ("`git commit --amend`（直前のコミット）か `git rebase -i`（それより前のコミット）でメッセージを書き直し、"
               "氏名の代わりに事案番号を使ってください。")
    else:  # the commit-msg hook, check --message-file: nothing was committed
        fix = "コミットはされていません。氏名の代わりに事案番号を使ったメッセージで、もう一度 `git commit` してください。"
    if index and folded is not None:
        for pos, term in _first_per_kind(index.search(folded.text)):
            line = text.count("\n", 0, folded.index[pos]) + 1
            if term.part:
                yield _found(path, f"{line}行目", f"事案 {term.case_id} の当事者の{term.kind}の一部（姓または名）と同じ語が"
                             f"あります。その人のことであれば{fix}その人と関係のない語であれば、そのままで構いません。",
                             severity=WARNING)
            else:
                yield _found(path, f"{line}行目", f"事案 {term.case_id} の当事者の{term.kind}が記録の外に書かれています"
                             f"（個人情報は暗号化された記録の中だけに置きます）。{fix}")
    for m in patterns.find(text, public):
        line = text.count("\n", 0, m.start) + 1
        severity = ERROR if m.kind == patterns.MY_NUMBER else WARNING
        why = ("マイナンバー（個人番号）は収集も記録もしません" if m.kind == patterns.MY_NUMBER
               else f"個人の{m.kind}であれば記録の外に書いてはいけません。区や事務所の公開の番号なら "
                    f"{PERSONAL_DATA_FILE} の public に追加してください")
        yield _found(path, f"{line}行目", f"{m.kind}らしい値（{m.masked}）があります。{why}。{fix}",
                     severity=severity)


def _first_per_kind(hits: Iterable[tuple[int, Term]]) -> list[tuple[int, Term]]:
    """One finding per (case, kind): a name written five times is one thing to fix. A part of a
    name inside a full match (星子 in 試験谷星子) is that match, not a second finding."""
    hits = list(hits)
    spans = [(pos, pos + len(t.folded)) for pos, t in hits if not t.part]
    seen: set[tuple[str, str]] = set()
    out = []
    for pos, term in hits:
        if term.part and any(a <= pos < b for a, b in spans):
            continue
        key = (term.case_id, term.kind + ("part" if term.part else ""))
        if key not in seen:
            seen.add(key)
            out.append((pos, term))
    return out
