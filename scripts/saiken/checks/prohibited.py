"""Prohibited categories in the free text of records (term 5: 収集禁止事項).

Every string field of every record the runner can open is folded (NFKC, katakana → hiragana, long
vowels and spaces dropped) and searched for the words of policies/prohibited-categories.yaml. A
finding names the field and quotes a short window of the text and the word found, so the handler
can find and rewrite it; both are quoted as the record's text (saiken.redaction), so a log shows
only the category and the field. Only a consent of 甲 recorded in ledger/consents.yaml for exactly
this case id and category lifts it (the runner applies consents to every check alike); nothing
written inside a record can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Iterator

from saiken.checks import ERROR, SEVERITIES, FileInput, Finding, FindingMaker
from saiken.checks.context import LEXICON_FILE, CheckInput, OpenedRecord
from saiken.checks.text import Folded, fold, fold_word, quick_fold, words_pattern
from saiken.core.schema import field_names
from saiken.errors import SaikenError
from saiken.redaction import quoted

ID = "prohibited"
TERMS = (5,)
SEVERITY = ERROR
TITLE = "思想・信条・宗教、社会的差別の原因、犯罪に関する事項を記録しない"
NEEDS_IDENTITY = True  # reads the opened records only: without a key it finds nothing

_found = FindingMaker(ID, TERMS, SEVERITY)


@dataclass(frozen=True)
class Category:
    id: str
    item: int | None
    severity: str
    words: tuple[tuple[str, str], ...]  # (word as written, folded)

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """All folded words as one alternation: a quick yes/no over a folded text."""
        return words_pattern({k for _, k in self.words if k})


@dataclass(frozen=True)
class Lexicon:
    categories: tuple[Category, ...]
    exceptions: tuple[str, ...]  # folded

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """Every category's words in one alternation: one scan of a whole record says whether
        any field can match at all."""
        return words_pattern({k for c in self.categories for _, k in c.words if k})

    @classmethod
    def from_data(cls, data: Any) -> "Lexicon":
        def bad(why: str) -> SaikenError:
            return SaikenError(f"収集禁止事項の語彙の書き方が正しくありません（{why}）。", where=LEXICON_FILE,
                               hint="ファイル先頭の説明のとおりに直してください。")
        if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
            raise bad("categories がありません")
        cats = []
        for n, c in enumerate(data["categories"]):
            if not isinstance(c, dict) or not c.get("id") or c.get("severity") not in SEVERITIES:
                raise bad(f"categories[{n}] には id と severity（error か warning）が必要です")
            words = c.get("words") or []
            if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                raise bad(f"categories[{n}].words は語の一覧です")
            words = words + _readings(c.get("readings"), f"categories[{n}].readings", bad)
            cats.append(Category(str(c["id"]), c.get("item"), c["severity"],
                                 tuple((w, fold_word(w)) for w in words)))
        return cls(tuple(cats), tuple(fold_word(str(e)) for e in data.get("exceptions") or []))


def _readings(data: Any, where: str, bad: Any) -> list[str]:
    """The kana readings of a category's words (word → reading, or a list of them), as more words."""
    if data is None:
        return []
    if not isinstance(data, dict):
        raise bad(f"{where} は「語: 読み」の対応です")
    out: list[str] = []
    for word, reading in data.items():
        forms = reading if isinstance(reading, list) else [reading]
        if not forms or not all(isinstance(r, str) and r.strip() for r in forms):
            raise bad(f"{where} の「{word}」の読みは、かなの語か語の一覧です")
        out += forms
    return out


def strings(node: Any, known: frozenset[str], path: str = "") -> Iterator[tuple[str, str]]:
    """Every string value in a record with its field path (parties[0].name.family); a key that is
    not one of the schema's `known` names is the record's own text and is quoted in the path."""
    if isinstance(node, dict):
        for key, value in node.items():
            name = key if isinstance(key, str) and key in known else quoted(key)
            yield from strings(value, known, f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from strings(value, known, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _item_text(inp: CheckInput, item: int) -> str:
    terms = (inp.file_yaml("policies/special-terms.yaml") or {}).get("terms") or []
    for term in terms:
        if term.get("number") == 5:
            for it in term.get("items") or []:
                if it.get("number") == item:
                    return f"「{it.get('text')}」"
    return ""


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    rec = inp.record(f)
    if rec is None or rec.data is None:
        return
    lexicon = _lexicon(inp)
    if lexicon is None:
        yield _found(LEXICON_FILE, None, "収集禁止事項の語彙ファイルがないため、記録の内容を検査できません。"
                     "saiken に付属の policies/prohibited-categories.yaml をこの場所に置いてください。")
        return
    if not _may_match(rec, lexicon):
        return
    for field, value in record_strings(rec.data, inp):
        yield from _scan(f.path, rec.case_id, field, value, lexicon, inp)


def record_strings(data: Any, inp: CheckInput) -> Iterator[tuple[str, str]]:
    """Every string value of an opened record with its field path (`strings` with the schema's names)."""
    if "field_names" not in inp.memo:
        inp.memo["field_names"] = field_names(inp.ctx.policy.items)
    return strings(data, inp.memo["field_names"])


def _may_match(rec: OpenedRecord, lexicon: Lexicon) -> bool:
    """Pre-filter on the whole decrypted text: every string value appears in it as written, so no
    hit here means no hit in any field. Not usable when YAML escapes (\\u524d) could hide a word."""
    if rec.text is None or "\\" in rec.text:
        return True
    return lexicon.pattern is not None and lexicon.pattern.search(rec.folded or "") is not None


def _lexicon(inp: CheckInput) -> Lexicon | None:
    if "lexicon" not in inp.memo:
        data = inp.file_yaml(LEXICON_FILE)
        inp.memo["lexicon"] = None if data is None else Lexicon.from_data(data)
    return inp.memo["lexicon"]  # type: ignore[no-any-return]


def _scan(path: str, case_id: str, field: str, value: str, lexicon: Lexicon,
          inp: CheckInput) -> Iterator[Finding]:
    quick = quick_fold(value)
    hits = [c for c in lexicon.categories if c.pattern is not None and c.pattern.search(quick)]
    if not hits:
        return  # the common case: no word of any category, no need to locate anything
    folded = fold(value)
    allowed = [span for e in lexicon.exceptions for span in folded.find_all(e)]
    for cat in hits:
        hit = _first_hit(folded, cat, allowed)
        if hit is not None:  # one finding per category and field: one place to rewrite
            word, start, end = hit
            yield _finding(path, case_id, field, cat, word, folded.window(start, end), inp)


def _first_hit(folded: Folded, cat: Category,
               allowed: list[tuple[int, int]]) -> tuple[str, int, int] | None:
    for word, key in cat.words:
        for start, end in folded.find_all(key):
            if not any(a <= start and end <= b for a, b in allowed):
                return word, start, end
    return None


def _finding(path: str, case_id: str, field: str, cat: Category, word: str, context: str,
             inp: CheckInput) -> Finding:
    consent = (f"甲の承諾を得ている場合は、ledger/consents.yaml に承諾（事案番号 {case_id}、"
               f"区分 {cat.id}）を記録してください。")
    if cat.severity == ERROR:
        which = f"特記事項5({cat.item}){_item_text(inp, cat.item)}" if cat.item else "特記事項5"
        message = (f"「{quoted(context)}」に「{cat.id}」に当たる語「{quoted(word)}」があります。{which}に当たり、甲の承諾が"
                   f"ない限り収集してはならない事項です。この記述を削除し `saiken case edit {case_id}` で"
                   f"保存し直してください。{consent}")
    else:
        message = (f"「{quoted(context)}」に{cat.id}に関する語「{quoted(word)}」があります（要配慮個人情報）。"
                   f"交渉に必要な最小限の書き方（例「体調不良のため」）にできないか確かめ、"
                   f"`saiken case edit {case_id}` で直してください。")
    return _found(path, field, message, severity=cat.severity, consent_key=(case_id, cat.id))
