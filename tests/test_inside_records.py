"""Inside the records: numbers that must never be collected (個人番号 and the like) and the term-5
categories, however they are written – kana for kanji, half-width, invisible characters between.

Real records repositories (conftest), records written by `saiken case new`. Every person and number
here is fictional (架空); the card numbers are the card networks' published test numbers.
"""

from __future__ import annotations

import json
import random
import re

import pytest
from faker.providers.lorem.ja_JP import Provider as Lorem
from faker.providers.person.ja_JP import Provider as Person
from test_checks import check_all, lines, new_case

from conftest import ROOT, RecordsRepo
from saiken.checks import patterns
from saiken.checks.prohibited import Lexicon
from saiken.checks.text import quick_fold
from saiken.core import yamlio


def findings(repo: RecordsRepo, check: str) -> list[dict]:  # type: ignore[type-arg]
    r = check_all(repo, "--format", "json")
    return [f for f in json.loads(r.stdout)["findings"] if f["check"] == check]


# --- never collected ------------------------------------------------------------------------------

@pytest.mark.parametrize("note, kind", [
    ("本人の個人番号は 1234-5678-9018 とのこと", "マイナンバー"),
    ("マイナンバー１２３４５６７８９０１８を控えた", "マイナンバー"),
    ("ﾏｲﾅﾝﾊﾞｰ 1234\u200b5678\u200b9018", "マイナンバー"),
    ("まいなんばー 123456789018", "マイナンバー"),
    ("クレジットカード 4111 1111 1111 1111 で払うと", "クレジットカード番号"),
    ("カード番号 3530-1113-3330-0000 有効期限", "クレジットカード番号"),
    ("暗証番号は 1234 だと言っていた", "暗証番号"),
    ("基礎年金番号 1234-567890 を聞いた", "基礎年金番号"),
    ("保険証の記号・番号 12345678", "被保険者番号"),
], ids=["my-number", "full-width", "half-width-kana-zwsp", "hiragana", "card", "card-jcb", "pin", "pension",
        "insurance"])
def test_a_number_never_to_be_collected_is_refused_inside_a_record(records_repo: RecordsRepo, note: str,
                                                                  kind: str) -> None:
    new_case(records_repo, "C-NEVER001", note)
    got = findings(records_repo, "never_collect")
    assert [(f["severity"], f["where"]) for f in got] == [("error", "history[0].note")], got
    assert got[0]["message"].startswith(f"{kind}らしい値")
    assert "saiken case edit C-NEVER001" in got[0]["message"]
    out = check_all(records_repo).stdout
    number = re.search(r"[\d１-９][\d\s\-\u200b０-９]+[\d０-９]", note).group()  # type: ignore[union-attr]
    assert number not in out and number[:4] not in out  # masked: the last digits of a long number only


@pytest.mark.parametrize("note", [
    "書留 1234-5678-9018 を送付した",  # a 12-digit tracking number with a valid check digit, no label
    "電話 03-0000-0009 に架電、不在",
    "カードローンの返済が 12 月まである",
    "口座番号 1234567 に振込予定",
    "4111 1111 1111 1112 の番号",  # not a valid card number (Luhn)
])
def test_ordinary_numbers_in_notes_are_not_never_collected(records_repo: RecordsRepo, note: str) -> None:
    new_case(records_repo, "C-NEVER002", note)
    assert findings(records_repo, "never_collect") == []


def test_the_same_patterns_refuse_every_kind_outside_records(records_repo: RecordsRepo) -> None:
    (records_repo.root / "docs").mkdir()
    (records_repo.root / "docs" / "memo.md").write_text("カード番号 4111-1111-1111-1111\n暗証番号: 0000\n",
                                                        encoding="utf-8")
    r = check_all(records_repo, env={"SAIKEN_IDENTITY": ""})
    found = lines(r.stdout, "pii_outside")
    assert r.returncode == 1 and len(found) == 2 and all(x.startswith("エラー") for x in found), r.stdout


def test_luhn() -> None:
    assert patterns.luhn_valid("4111111111111111") and not patterns.luhn_valid("4111111111111112")


# --- prohibited categories: phrasings and kana ----------------------------------------------------------

@pytest.mark.parametrize("note, category", [
    ("創価学会の会員とのこと", "思想・信条・宗教"),
    ("生活保護を受給中", "社会的差別の原因"),
    ("ぜんかがあると話していた", "犯罪"),
    ("ハンザイに関わったらしい", "犯罪"),
    ("ﾀｲﾎされたことがある", "犯罪"),
    ("しゅうきょうの勧誘", "思想・信条・宗教"),
    ("ｼｭｳｷｮｳ\u200b上の理由", "思想・信条・宗教"),
    ("前\u2060科あり", "犯罪"),
    ("せいかつほごを受けている", "社会的差別の原因"),
], ids=["soka", "welfare", "hiragana", "katakana", "half-width", "reading", "half-width-zwsp", "word-joiner",
        "welfare-kana"])
def test_prohibited_words_however_written(records_repo: RecordsRepo, note: str, category: str) -> None:
    new_case(records_repo, "C-KANA0001", note)
    got = findings(records_repo, "prohibited")
    assert got and got[0]["severity"] == "error" and f"「{category}」" in got[0]["message"], got


def _lexicon() -> Lexicon:
    return Lexicon.from_data(yamlio.bulk_load((ROOT / "policies" / "prohibited-categories.yaml").read_text()))


def test_every_error_word_has_a_reading_in_kana() -> None:
    data = yamlio.bulk_load((ROOT / "policies" / "prohibited-categories.yaml").read_text())
    for category in data["categories"]:
        readings = category.get("readings") or {}
        for word in category["words"]:
            if any("\u4e00" <= c <= "\u9fff" for c in word):
                assert word in readings, f"{word}: no reading"


def test_readings_do_not_hit_names_or_ordinary_words() -> None:
    """The kana readings are chosen so that no common name and no ordinary word holds one."""
    lexicon = _lexicon()
    data = yamlio.bulk_load((ROOT / "policies" / "prohibited-categories.yaml").read_text())
    readings = {quick_fold(r) for c in data["categories"] for forms in (c.get("readings") or {}).values()
                for r in (forms if isinstance(forms, list) else [forms])}
    texts = [*Person.last_kana_names, *Person.first_kana_names_female, *Person.first_kana_names_male,
             *Lorem.word_list, "ぜんかいの電話で", "しんこうちゅう", "かいこされた", "だんかいてきに", "ほどうを歩く",
             "きそくどおり", "しょうがいにわたり", "ぜんかく", "ようぎょうの仕事", "けっとうち", "どうわの本"]
    for text in texts:
        folded = quick_fold(text)
        hit = [key for key in readings if key in folded and not any(e in folded for e in lexicon.exceptions)]
        assert not hit, (text, hit)


def test_the_lexicon_trie_finds_exactly_what_a_plain_alternation_finds() -> None:
    """Lexicon.pattern is a trie for speed; it must say yes and no exactly where the words occur."""
    lexicon = _lexicon()
    keys = sorted({k for c in lexicon.categories for _, k in c.words if k}, key=len, reverse=True)
    plain = re.compile("|".join(map(re.escape, keys)))
    rng = random.Random(20261204)
    alphabet = "".join(sorted({ch for k in keys for ch in k})) + "あいうえおのはにをでとか 1-"
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.3:
            text = text[:5] + rng.choice(keys)[: rng.randint(1, 6)] + rng.choice(keys) + text[5:]
        assert bool(plain.search(text)) == bool(lexicon.pattern.search(text)), text  # type: ignore[union-attr]
