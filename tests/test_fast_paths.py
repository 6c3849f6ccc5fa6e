"""The fast paths of the checks give exactly what the general code gives.

`saiken check --all` on 10,000 records spends most of its time in folding text and walking the
schema, so both take shortcuts for the common case. Each shortcut is compared here with the plain
computation on many generated inputs (seeded, so a failure repeats).
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from typing import Any

import pytest

from conftest import FIXTURES, ROOT
from saiken.checks import pii_terms, text
from saiken.core import schema, yamlio
from saiken.core.policy import Policy

ALPHABET = ("アイウエオカガキギパピプヴヵヶンー ｶﾞｷﾟｰｱｲ ぁあいうゐゑを〜~ 　\t\n前科宗教信条架空一郎 ABCabcＡＢＣ１２３"
            "123-4567.@ ①㍻㌔ﾟﾞ\u200b\u2060\u00ad\u200c\u200d\ufe0f\ufeff\u034f\u3164\U000e0101\u202e\u3099")


def _reference_fold(s: str) -> str:
    """Folding as one str.translate over the whole text: slow on a long text, plainly right. A
    voicing mark left next to a kana once spaces and invisible characters are gone joins it."""
    folded = "".join(unicodedata.normalize("NFKC", s).lower().translate(text._TABLE).split())
    return unicodedata.normalize("NFC", folded)


def _samples(n: int, longest: int) -> list[str]:
    rng = random.Random(20261126)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest))) for _ in range(n)]


def test_quick_fold_equals_one_translate_over_the_whole_text() -> None:
    for s in _samples(3000, 600):  # both sides of the length where quick_fold switches method
        assert text.quick_fold(s) == _reference_fold(s), s


def test_fold_locates_exactly_what_quick_fold_finds() -> None:
    """`quick_fold` decides whether a text matches; `fold` locates the match: one folding."""
    for s in _samples(5000, 60):
        folded = text.fold(s)
        assert folded.text == text.quick_fold(s), s
        assert len(folded.index) == len(folded.text)


def test_every_invisible_character_is_dropped() -> None:
    """Every format character (Unicode Cf) and every default-ignorable code point (variation
    selectors, fillers, tags) folds to nothing, inside a name as at its ends."""
    ignorable = [c for c in map(chr, range(0x110000))
                 if unicodedata.category(c) == "Cf" or 0xFE00 <= ord(c) <= 0xFE0F or 0xE0000 <= ord(c) <= 0xE0FFF
                 or c in "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0"]
    assert len(ignorable) > 4000
    for c in ignorable:
        assert text.quick_fold(f"試験{c}谷") == "試験谷" == text.fold(f"試験{c}谷").text, hex(ord(c))
    assert text.normalise("1234\u200b5678\u2060 9018") == "12345678 9018"


def test_fold_word_remembered_or_not_is_the_same() -> None:
    for s in _samples(2000, 20):
        expected = "".join(s.lower().replace("~", "").split()) if s.isascii() else _reference_fold(s)
        assert text.fold_word(s) == expected == text.fold_word(s), s


def test_birth_date_forms_are_already_folded() -> None:
    day = dt.date(1900, 1, 1)
    while day < dt.date(2030, 1, 1):
        for form in pii_terms._date_forms(day):
            assert text.fold_word.__wrapped__(form) == form  # type: ignore[attr-defined]
        day += dt.timedelta(days=37)


def _variants() -> list[str]:
    base = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8")
    edits = [
        ("", ""),
        ("status: 督促中", "status: ｢督促中｣"),
        ("status: 督促中", "status: \"  督促中 \""),
        ("role: borrower", "role: ｂｏｒｒｏｗｅｒ"),
        ("role: borrower", "role: debtor"),
        ("line: 東京都新宿区架空町1-2-3}", "line: \" 東京都新宿区架空町１－２－３ \"}"),
        ("line: 東京都新宿区架空町1-2-3}", "line: \"Tokyo\\tShinjuku\"}"),
        ("line: 東京都新宿区架空町1-2-3}", "line: \"Tokyo \"}"),
        ("line: 東京都新宿区架空町1-2-3}", "line: 12345}"),
        ("line: 東京都新宿区架空町1-2-3}", "line: \"bell\\a\"}"),
        ("given: 花子}", "given: \"" + "x" * 5000 + "\"}"),
        ("given: 花子}", "given: [花子]}"),
        ("family_kana: カクウ", "family_kana: ｶｸｳ"),
        ("family_kana: カクウ", "family_kana: 架空"),
        ("birth_date: 1995-04-02", "birth_date: 1995-04-02 10:00"),
        ("birth_date: 1995-04-02", "birth_date: \"１９９５／０４／０２\""),
        ("birth_date: 1995-04-02", "birth_date: 1995-02-30"),
        ("at: 2021-05-10 10:00", "at: 2021-05-10"),
        ("at: 2021-05-10 10:00", "at: 2021-05-10T10:00:00+09:00"),
        ("at: 2021-05-10 10:00", "at: \"2021-05-10 10:00\""),
        ("at: 2021-05-10 10:00", "at: yesterday"),
        ("amount: 9000", "amount: \"9,000円\""),
        ("amount: 9000", "amount: 9000.5"),
        ("count: 120", "count: true"),
        ("acknowledged: true", "acknowledged: はい"),
        ("sex: 男", "sex: 男\n    hobby: 釣り\n    7: seven"),
        ("status: 督促中", "status:"),
        ("case_id: C-TEST0001\n", ""),
        ("  - {at: 2021-05-10", "  - 3\n  - {at: 2021-05-10"),
        ("phone: \"03-0000-0001\"", "phone: 0300000001"),
        ("email: ichiro@example.invalid", "email: \"ichiro at example\""),
    ]
    out = []
    for old, new in edits:
        assert old in base
        out.append(base.replace(old, new, 1))
    return out


def _validate(data: Any, items: dict[str, Any]) -> schema.Problems:
    schema.Validator._compiled.clear()
    return schema.Validator(items).validate(data)


@pytest.mark.parametrize("load", [yamlio.bulk_load, yamlio.rt_load], ids=["check", "edit"])
@pytest.mark.parametrize("record_text", _variants())
def test_schema_shortcuts_give_the_same_problems_and_values(record_text: str, load: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    items = Policy.load(ROOT).items
    fast = load(record_text)
    plain = load(record_text)  # not deepcopy: it drops a ruamel TimeStamp's time zone
    fast_problems = _validate(fast, items)
    monkeypatch.setattr(schema, "_SHORTCUTS", False)
    plain_problems = _validate(plain, items)
    monkeypatch.undo()
    schema.Validator._compiled.clear()
    assert fast_problems == plain_problems
    assert fast == plain and repr(fast) == repr(plain)


def test_a_records_terms_pack_into_four_strings_and_back() -> None:
    """The term cache keeps each record's terms as four strings (a list per term took 2 GB at
    100,000 records); unpacking gives back every term, in order, and refuses a damaged pack."""
    from saiken.checks.pii_terms import Term, term_entries, unpack_entries

    terms = [Term("しけんだにほしこ", "氏名", "C-PACK0001"), Term("ほしこ", "氏名", "C-PACK0001", True),
             Term("0300001234", "電話番号", "C-PACK0001"), Term("x", "住所", "C-PACK0002", True)]
    pack = term_entries(terms)
    assert len(pack) == 4 and all(isinstance(p, str) for p in pack)
    assert [Term(*fields) for fields in unpack_entries(pack)] == terms
    assert list(unpack_entries(term_entries([]))) == []
    with pytest.raises(ValueError):
        list(unpack_entries(["a\nb", "氏名", "C-PACK0001", "00"]))
