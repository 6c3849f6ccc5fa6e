"""Personal data outside the encrypted records (terms 2, 7).

File names, every text file outside records/ (default deny: whatever the repository holds is
searched, not a list of folders), the commit message, and what a push sends beside the files – ref
names, annotated tag messages, notes (saiken.checks.git_texts) – must not hold a party's name, kana,
address, phone, e-mail or birth date. The terms come from every record the runner can open
(pii_terms); text is folded first (saiken.checks.text: kana, width, invisible characters), so a name
split by U+200B is the name. Without an identity the generic patterns still apply (patterns: the
numbers never collected are errors), and messages, tags and notes are judged for a record's shape
(record_like). Messages never repeat the personal data itself: they name the kind, the case id and
the line, since findings end up in terminals and CI logs; a name found in a file or ref name is
quoted in the path (saiken.redaction), so a log shows the path without it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Iterator

from saiken.checks import (ERROR, WARNING, FileInput, Finding, FindingMaker, cache, paths, patterns, shell_path,
                           shown_name, unreadable_name)
from saiken.checks.cache import content_id
from saiken.checks.context import PERSONAL_DATA_FILE, TERMS_MEMO, CheckInput, is_record_path
from saiken.checks.git_texts import (HEADERS, MAX_TAG_DEPTH, NOT_A_COMMIT, ODD_HEADER, REF_NAME, TOO_DEEP, removal_fix,
                                    rename_fix)
from saiken.checks.pii_terms import Term, TermIndex, without_staff
from saiken.checks.record_like import looks_like_record
from saiken.checks.term_cache import TermCache, TermSet
from saiken.checks.text import Folded, fold, quick_fold
from saiken.core.layout import RECORDS_DIR
from saiken.git.gitio import UNREADABLE
from saiken.redaction import quoted

ID = "pii_outside"
TERMS = (2, 7)
SEVERITY = ERROR
TITLE = "氏名・住所などの個人情報を、記録の外（ファイル名・コミットメッセージ・参照名・ノート・ledger/ など）に書かない"

COMMIT_MESSAGE = "(コミットメッセージ)"
_found = FindingMaker(ID, TERMS, SEVERITY)


@dataclass(frozen=True)
class _Target:
    """One text searched: a name (of a file or a ref) or content (a file, a message, a note)."""

    file: str  # what a finding names
    text: str
    name: bool = False
    place: str = ""  # where a line number is prefixed with ("タグのメッセージ ")
    fix: str = ""  # how to take personal data out of the content
    patterns: bool = True  # the generic patterns too (not in fictional test data)
    shape: bool = False  # and a record's shape (messages, tags, notes: files have record_like)
    ref: str | None = None  # the ref, for a ref's name


def check(inp: CheckInput) -> Iterable[Finding]:
    conf = inp.file_yaml(PERSONAL_DATA_FILE) or {}
    public = patterns.public_numbers(list(conf.get("public") or []))
    targets, unreadable = _targets(inp)
    yield from unreadable
    quick = [quick_fold(t.text) for t in targets] if inp.ctx.identities else []
    index = _index(inp, quick)
    exact = isinstance(index, TermIndex) and bool(index)  # the quick set comes back only when nothing hit
    for n, t in enumerate(targets):
        folded = fold(t.text) if exact and next(index.search(quick[n]), None) is not None else None
        if t.name:
            if folded is not None:
                yield from _names(t, folded, index)
        else:
            yield from _content(t, folded, index, public)


def _targets(inp: CheckInput) -> tuple[list[_Target], list[Finding]]:
    committed = inp.ctx.message_committed
    targets: list[_Target] = []
    for f in inp.files:
        targets.append(_Target(f.path, f.path, name=True))
        if not f.path.startswith(RECORDS_DIR + "/"):
            text = paths.text_of(f.data)
            if text is None and paths.kind_of(inp, f.path) == paths.PDF:
                text = paths.pdf_text(f.data)  # its pages, document information and metadata
            if text is not None:
                targets.append(_Target(f.path, text, fix=_file_fix(f.path), patterns=not paths.is_fictional(inp, f.path)))
    if inp.ctx.commit_message is not None:
        targets.append(_Target(COMMIT_MESSAGE, _strip_comments(inp.ctx.commit_message), fix=_message_fix(committed),
                               shape=True))
    unreadable = []
    for g in inp.ctx.texts:
        if g.kind == REF_NAME and unreadable_name(g.ref):
            unreadable.append(_found(shown_name(g.ref), g.place, "参照名が UTF-8 ではありません（\\x の部分）。名前の文字を"
                                     "確かめられない（別の文字コードの氏名なども通ってしまう）ため、受け付けません。"
                                     "UTF-8 の名前で作り直してください（`git branch -m`、タグは `git tag -d` のうえ付け直す）。"))
        elif g.kind == REF_NAME:
            targets.append(_Target(g.ref, g.ref, name=True, ref=g.ref))
        elif g.kind == NOT_A_COMMIT and g.about == TOO_DEEP:
            unreadable.append(_found(g.ref, g.place, f"タグのタグが {MAX_TAG_DEPTH} 段を超えて重なっています。その先の中身"
                                     f"（メッセージやファイル）を検査しきれないため受け付けません。{removal_fix(g.ref)}"))
        elif g.kind == NOT_A_COMMIT:
            unreadable.append(_found(g.ref, g.place, f"コミットではなく{'ファイル' if g.about == 'blob' else 'フォルダ'}を"
                                     "直接指す参照です。どのコミットにも入っていない中身が送られ、検査できないため受け付けません。"
                                     f"{removal_fix(g.ref)}"))
        elif g.kind == ODD_HEADER and g.about == UNREADABLE:
            unreadable.append(_found(g.ref, g.place, "メッセージが、そのコミット（タグ）の文字コード（既定は UTF-8）で読めません。"
                                     "読めない文字の中に氏名などがあっても確かめられないため、受け付けません。"
                                     "UTF-8 のメッセージで作り直してください（`git config --unset i18n.commitEncoding` のうえ "
                                     "`git commit --amend`、それより前は `git rebase -i`）。"))
        elif g.kind == ODD_HEADER:
            unreadable.append(_found(g.ref, g.place, f"git が書かない見出し「{g.about[:40]}」のあるコミットです。"
                                     "git log にも表示されない中身を運べるため、受け付けません。`git rebase -i` で"
                                     "作り直してください（git commit は通常の見出ししか書きません）。"))
        elif g.text is None:
            unreadable.append(_found(g.ref, g.place.strip(), f"UTF-8 のテキストでないノートです。中身を確かめられないため受け付けません。{g.fix()}"))
        else:
            targets.append(_Target(g.ref, g.text, place=g.place, fix=g.fix(), shape=g.kind != HEADERS))
    return targets, unreadable


def _file_fix(path: str) -> str:
    return f"{shell_path(path)} から削除し、代わりに事案番号を使ってください。既にコミットした場合は取扱責任者に相談してください。"


def _message_fix(committed: bool) -> str:
    if committed:  # pre-push, pre-receive, check --range: the commit exists
        return ("`git commit --amend`（直前のコミット）か `git rebase -i`（それより前のコミット）でメッセージを書き直し、"
                "氏名の代わりに事案番号を使ってください。")
    # the commit-msg hook, check --message-file: nothing was committed
    return "コミットはされていません。氏名の代わりに事案番号を使ったメッセージで、もう一度 `git commit` してください。"


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
    if inp.ctx.commit_message is not None or inp.ctx.texts:
        return None
    h = hashlib.sha256()
    for f in sorted([*inp.files, *inp.ctx.record_sources], key=lambda f: f.path):
        h.update(f"{f.path}\0{content_id(f)}\0".encode())
    return cache.key(ID, h.hexdigest())


def _index(inp: CheckInput, texts: list[str]) -> TermIndex | TermSet:
    """Terms of every record the runner can open: those under check and the rest of the tree.

    The quick set (term_cache; kept from the last run, or made afresh) answers when none of its
    terms occurs in `texts`; only a hit builds the exact index, which says whose term it is – of
    the terms that occur in `texts` (the index is asked about these texts only; the quick set holds
    every term of the exact one, so none that occurs is left out)."""
    if not inp.ctx.identities:
        return TermIndex([])
    staff = [h.name for h in inp.ctx.policy.handlers]
    known = inp.memo.get(TERMS_MEMO)
    cache = TermCache(inp.cache_dir, inp.ctx.identities)
    quick = _quick(inp, cache, known, staff)
    if not any(next(quick.search(t), None) for t in texts):
        cache.save()
        return quick
    occurring = set().union(*(quick.occurring(t) for t in texts))
    terms = without_staff(cache.terms(_records(inp), inp.max_bytes, known=known, only=occurring), staff)
    cache.save()
    return TermIndex(terms)


def _records(inp: CheckInput) -> list[FileInput]:
    under_check = {f.path for f in inp.files}
    records = [f for f in inp.files if is_record_path(f.path)]
    return records + [f for f in inp.ctx.record_sources if f.path not in under_check and is_record_path(f.path)]


_QUICK_MEMO = "pii_outside.quick"  # Context.shared: the quick set of a whole range of commits


def _quick(inp: CheckInput, cache: TermCache, known: dict[str, list[list[object]]] | None, staff: list[str]) -> TermSet:
    """The quick set for the records. The commits of one range share their record sources: the
    set is made once for all of them (every record of the range, the later ones too – a name of
    any of them in a message is personal data all the same) and kept for the next commit."""
    memo = inp.ctx.shared.get(_QUICK_MEMO)
    sources = inp.ctx.record_sources
    if memo is not None and memo[0] == staff and memo[1] is sources and \
            all(content_id(f) in memo[2] for f in inp.files if is_record_path(f.path)):
        return memo[3]  # type: ignore[no-any-return]
    records = list({content_id(f): f for f in [*sources, *_records(inp)]}.values())
    quick = cache.quick(records, known, staff, inp.max_bytes) or cache.fresh(records, inp.max_bytes, known, staff)
    inp.ctx.shared[_QUICK_MEMO] = (staff, sources, {content_id(f) for f in records}, quick)
    return quick


def _strip_comments(message: str) -> str:
    # git drops '#' lines from the message it stores; keep line numbers by blanking them
    return "\n".join("" if line.startswith("#") else line for line in message.splitlines())


def _names(t: _Target, folded: Folded, index: TermIndex | TermSet) -> Iterator[Finding]:
    hits = list(index.search(folded.text))
    shown_path = masked_path(t.text, folded, hits)  # the name found is the record's text: quoted, hidden in a log
    for _, term in _first_per_kind(hits):
        what = f"{term.kind}の一部（姓または名）と同じ語" if term.part else term.kind
        if t.ref is None:
            message = (f"ファイル名に事案 {term.case_id} の当事者の{what}が含まれています。ファイル名は暗号化されません。"
                       f"`git mv {shown_path} 新しい名前` で事案番号など個人を特定しない名前に改めてください。")
        else:
            message = (f"ブランチ・タグなどの名前に事案 {term.case_id} の当事者の{what}が含まれています。参照名は暗号化されず、"
                       f"push すると送られます。{rename_fix(t.ref, shown_path)}")
        yield _found(shown_path, "ファイル名" if t.ref is None else "参照名", message,
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


def _content(t: _Target, folded: Folded | None, index: TermIndex | TermSet, public: set[str]) -> Iterator[Finding]:
    fix = t.fix
    if index and folded is not None:
        for pos, term in _first_per_kind(index.search(folded.text)):
            line = t.text.count("\n", 0, folded.index[pos]) + 1
            if term.part:
                yield _found(t.file, f"{t.place}{line}行目", f"事案 {term.case_id} の当事者の{term.kind}の一部（姓または名）と"
                             f"同じ語があります。その人のことであれば{fix}その人と関係のない語であれば、そのままで構いません。",
                             severity=WARNING)
            else:
                yield _found(t.file, f"{t.place}{line}行目", f"事案 {term.case_id} の当事者の{term.kind}が記録の外に書かれています"
                             f"（個人情報は暗号化された記録の中だけに置きます）。{fix}")
    if t.patterns:
        for m in patterns.find(t.text, public):
            line = t.text.count("\n", 0, m.start) + 1
            why = (patterns.WHY_NEVER[m.kind] if m.never
                   else f"個人の{m.kind}であれば記録の外に書いてはいけません。区や事務所の公開の番号なら "
                        f"{PERSONAL_DATA_FILE} の public に追加してください")
            yield _found(t.file, f"{t.place}{line}行目", f"{m.kind}らしい値（{m.masked}）があります。{why}。{fix}",
                         severity=ERROR if m.never else WARNING)
    shape = looks_like_record(t.text) if t.shape else None
    if shape:
        yield _found(t.file, t.place.strip() or None, f"事案の記録のような平文（{shape}）があります。個人情報は暗号化した記録の"
                     f"中にだけ置きます。{fix}")


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
