"""The personal data of the records the runner can open, as folded search terms.

For pii_outside: each party's name (full – also given name first and with a middle dot –, and each part alone when it is 2+ characters; kana parts
alone when 3+, since short hiragana runs occur in ordinary words), address line and 本籍 (whole,
the part after the municipality, without the building, street numbers as 1-2-3 or 1丁目2番3号), phone numbers (as written and digits only), e-mail, and birth
date (ISO, slashes, 年月日, 和暦). The terms live only in memory. A name part that is also part of a
designated handler's name is dropped: a handler's own name may stand in ledger/ and policies/.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from saiken.checks.text import fold_word

NAME, KANA, ADDRESS, PHONE, EMAIL, BIRTH = "氏名", "氏名（カナ）", "住所", "電話番号", "メールアドレス", "生年月日"
_MUNICIPALITY = re.compile(r"^(?:.{2,3}?[都道府県])?.*?[市区郡]")
_ERAS = ((dt.date(2019, 5, 1), "令和"), (dt.date(1989, 1, 8), "平成"), (dt.date(1926, 12, 25), "昭和"))


@dataclass(frozen=True)
class Term:
    folded: str
    kind: str
    case_id: str
    part: bool = False  # a family or given name alone: common words too (太郎), so weaker evidence


class TermIndex:
    """Terms bucketed by their first two folded characters, then by length: at each place of a
    text, one dict lookup per term length in that bucket (never a scan over all terms)."""

    def __init__(self, terms: list[Term]) -> None:
        by_prefix: dict[str, dict[int, dict[str, Term]]] = {}
        for t in terms:
            if len(t.folded) >= 2:
                by_prefix.setdefault(t.folded[:2], {}).setdefault(len(t.folded), {}).setdefault(t.folded, t)
        # longest first: report 氏名 over one of its parts
        self.buckets = {p: sorted(lengths.items(), reverse=True) for p, lengths in by_prefix.items()}

    def __bool__(self) -> bool:
        return bool(self.buckets)

    def search(self, folded: str) -> Iterator[tuple[int, Term]]:
        """(position in folded text, term) for each place a term starts; longest term per place."""
        for i in range(len(folded) - 1):
            for length, terms in self.buckets.get(folded[i:i + 2], ()):
                term = terms.get(folded[i:i + length])
                if term is not None:
                    yield i, term
                    break


def wareki(d: dt.date) -> str | None:
    for start, era in _ERAS:
        if d >= start:
            year = d.year - start.year + 1
            return f"{era}{'元' if year == 1 else year}年{d.month}月{d.day}日"
    return None


@functools.lru_cache(maxsize=4096)
def _date_forms(d: dt.date) -> tuple[str, ...]:
    """The ways a date is written, already folded (digits, ASCII marks, 年月日 and era names:
    folding changes none of them)."""
    forms = [d.isoformat(), f"{d.year}/{d.month:02d}/{d.day:02d}", f"{d.year}/{d.month}/{d.day}",
             f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日", f"{d.year}.{d.month}.{d.day}"]
    jp = wareki(d)
    return tuple(forms + ([jp] if jp else []))


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _map(party: dict[str, Any], key: str) -> dict[str, Any]:
    value = party.get(key)
    return value if isinstance(value, dict) else {}


_STREET = re.compile(r"^(?P<town>\D*?)(?P<numbers>\d[\d丁目番地号の\-\u2010-\u2015\u2212\uff0d\u30fc]*)")
_NUMBER = re.compile(r"\d+")
# how the numbers of one street address are written: 1丁目2番3号, 1-2-3 (hyphen, minus, dashes; ー is
# folded away, leaving 123 – taken for three numbers only: 12 alone is too common), 1丁目2-3,
# 1丁目2番地3, 2番地3, 2-3
_JOINS = ("-", "\u2212", "\u2010", "\u2015", "")


def address_forms(line: str) -> list[str]:
    """The parts of an address line that name the place, beyond the whole line: what follows the
    municipality (九段南31丁目26番13号 アーバン680), that part without the building (up to the end of
    the street numbers), and the street numbers in the other ways they are written (九段南31-26-13,
    九段南31丁目26-13 …). Only forms of 4+ folded characters with a digit: a town name alone is a
    place, not a person's address."""
    text = unicodedata.normalize("NFKC", line).strip()
    m = _MUNICIPALITY.match(text)
    tail = text[m.end():] if m else ""
    forms = [tail]
    street = _STREET.match(tail)
    numbers = _NUMBER.findall(street.group("numbers")) if street else []
    if street and len(numbers) >= 2:  # 1丁目2番 at least: one number alone (北1条) is not an address
        town = "".join(street.group("town").split())
        ward = re.match(r"^.{1,4}?区", town)  # 旭区九段南 (横浜市旭区) is also written 九段南
        for place in dict.fromkeys((town, town[ward.end():] if ward else town)):
            if len(place) < 2:
                continue
            forms.append(place + street.group("numbers"))
            forms += [place + j.join(numbers) for j in _JOINS if j or len(numbers) >= 3]
            if len(numbers) == 3:
                a, b, c = numbers
                forms += [f"{place}{a}丁目{b}番{c}号", f"{place}{a}丁目{b}-{c}", f"{place}{a}丁目{b}番地{c}",
                          f"{place}{a}丁目{b}番地の{c}", f"{place}{a}丁目{b}の{c}"]
            elif len(numbers) == 2:
                a, b = numbers
                forms += [f"{place}{a}番地{b}", f"{place}{a}番{b}号", f"{place}{a}番地の{b}", f"{place}{a}の{b}",
                          f"{place}{a}丁目{b}番"]
    out: list[str] = []
    for form in forms:
        folded = fold_word(form)
        if len(folded) >= 4 and any(c.isdigit() for c in folded) and form not in out:
            out.append(form)
    return out


def party_terms(party: dict[str, Any], case_id: str) -> Iterator[Term]:
    def term(text: Any, kind: str, part: bool = False) -> Iterator[Term]:
        if isinstance(text, (str, int)) and str(text).strip():
            yield Term(fold_word(str(text)), kind, case_id, part)

    name = _map(party, "name")
    for family, given, kind in ((name.get("family"), name.get("given"), NAME),
                                (name.get("family_kana"), name.get("given_kana"), KANA)):
        yield from term(f"{family or ''}{given or ''}", kind)
        if isinstance(family, str) and isinstance(given, str) and family.strip() and given.strip():
            # the full name the other way round (裕太 山下: spaces are folded away) and with a
            # middle dot (山下・裕太): each part alone is only a warning
            for form in (f"{given}{family}", f"{family}・{given}", f"{given}・{family}"):
                yield from term(form, kind)
    for part in (name.get("family"), name.get("given")):
        if isinstance(part, str) and len(fold_word(part)) >= 2:
            yield from term(part, NAME, True)
    for part in (name.get("family_kana"), name.get("given_kana")):
        if isinstance(part, str) and len(fold_word(part)) >= 3:
            yield from term(part, KANA, True)
    address = _map(party, "address")
    for line in (address.get("line"), address.get("registered_domicile")):
        if isinstance(line, str) and line.strip():
            yield from term(line, ADDRESS)
            for form in address_forms(line):
                yield from term(form, ADDRESS)
    contact = _map(party, "contact")
    for key in ("phone", "mobile"):
        if contact.get(key):
            yield from term(contact[key], PHONE)
            digits = re.sub(r"\D", "", fold_word(str(contact[key])))
            if len(digits) >= 10:
                yield Term(digits, PHONE, case_id)
    yield from term(contact.get("email"), EMAIL)
    born = _parse_date(party.get("birth_date"))
    if born is not None:
        for form in _date_forms(born):
            yield Term(form, BIRTH, case_id)


def record_terms(record: Any, case_id: str) -> list[Term]:
    """Every term of every party of one record."""
    if not isinstance(record, dict):
        return []
    out: list[Term] = []
    for party in record.get("parties") or []:
        if isinstance(party, dict):
            out.extend(party_terms(party, case_id))
    return out


def term_entries(terms: list[Term]) -> list[str]:
    """A record's terms packed as four strings (what TermCache keeps per record): the folded texts,
    the kinds and the case ids, each joined by line breaks (folding drops every whitespace, and no
    kind or case id holds one), and the parts as "1"/"0" – one character per term, so its length is
    the count. A few strings per record, not a list per term: at 100,000 records the 3.3 million
    lists took 2 GB, and a warm `check --all` spent a third of its time having the kernel clear
    fresh pages for them."""
    return ["\n".join(t.folded for t in terms), "\n".join(t.kind for t in terms),
            "\n".join(t.case_id for t in terms), "".join("1" if t.part else "0" for t in terms)]


def unpack_entries(entry: list[str]) -> Iterator[tuple[str, str, str, bool]]:
    """(folded, kind, case id, part) of each term of a `term_entries` pack. A pack of another shape
    (a damaged cache) raises ValueError."""
    folded, kinds, cases, parts = entry
    n = len(parts)
    if n == 0:
        return
    texts, kind_list, case_list = folded.split("\n"), kinds.split("\n"), cases.split("\n")
    if not (len(texts) == len(kind_list) == len(case_list) == n):
        raise ValueError("term pack of mismatched lengths")
    for i in range(n):
        yield texts[i], kind_list[i], case_list[i], parts[i] == "1"


def staff_filter(handler_names: list[str]) -> "Callable[[str, str, bool], bool]":
    """A test (folded, kind, part) -> True for a name term that is a designated handler's name
    or, for a lone part, inside one (a guarantor named 太郎 and a handler named 甲太郎)."""
    staff = [fold_word(n) for n in handler_names if n.strip()]
    parts = {fold_word(p) for n in handler_names for p in n.split() if p.strip()}

    def is_staff(folded: str, kind: str, part: bool) -> bool:
        return kind in (NAME, KANA) and (folded in parts or folded in staff or (part and any(folded in n for n in staff)))
    return is_staff


def without_staff(terms: list[Term], handler_names: list[str]) -> list[Term]:
    """The terms without handlers' own names (staff_filter)."""
    is_staff = staff_filter(handler_names)
    return [t for t in terms if not is_staff(t.folded, t.kind, t.part)]
