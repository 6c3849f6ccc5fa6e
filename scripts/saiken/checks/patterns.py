"""Personal data recognisable without any record: numbers never to be collected, phone numbers,
postal codes.

Never collected, anywhere – outside the records (pii_outside) and inside them (never_collect):
    マイナンバー (個人番号)   12 digits with a valid check digit, labelled マイナンバー/個人番号 close by
                             (番号法第20条: collecting it outside its legal uses is forbidden)
    クレジットカード番号      14–16 digits of a card network's range with a valid Luhn digit, labelled
                             (カード, クレジット, card …) or grouped as cards print them (4-4-4-4, 4-6-5)
    暗証番号                  4 digits right after 暗証番号/PIN
    基礎年金番号              10 digits right after 基礎年金番号 (国民年金法: its use is restricted)
    被保険者番号              digits right after 被保険者(証)/保険証 … 記号・番号 (健康保険法: asking
                             for it is restricted)
Warnings outside the records: a phone number only next to 電話/TEL/携帯/連絡先/FAX, or when it is a
mobile number (070/080/090); a postal code only after 〒 or 郵便番号. Numbers the repository declares
public (policies/personal-data.yaml `public:`) are skipped.

Only labelled or unmistakable forms count, so the contract's own text and ordinary numbers (a
registered-mail tracking number, an account number, an amount) stay quiet. Text is normalised first
(saiken.checks.text.normalise: full-width digits, half-width kana, invisible characters between the
digits), and labels are matched in kana too (まいなんばー).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator

from saiken.checks.text import normalise, words_pattern

MY_NUMBER, PHONE, POSTAL = "マイナンバー", "電話番号", "郵便番号"
CARD, PIN, PENSION, INSURANCE = "クレジットカード番号", "暗証番号", "基礎年金番号", "被保険者番号"
NEVER = (MY_NUMBER, CARD, PIN, PENSION, INSURANCE)  # never collected: an error wherever it is
WHY_NEVER = {
    MY_NUMBER: "マイナンバー（個人番号）は番号法で定められた事務のほかは収集も記録もできません",
    CARD: "クレジットカード番号は業務に必要なく、漏れれば不正に使われます（特記事項3：必要最小限の収集）",
    PIN: "暗証番号は業務に必要なく、聞き取りも記録もしません",
    PENSION: "基礎年金番号は法令で利用が制限されており、業務に必要もありません",
    INSURANCE: "健康保険の被保険者記号・番号は法令で告知を求めることが制限されています",
}

_SEP = r"[ \-‐‑–—ー・.]?"
_MY_NUMBER = re.compile(rf"(?<![\d-])(\d{{4}}){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?![\d-])")
_MY_NUMBER_LABEL = re.compile(r"マイナンバ|まいなんば|個人番号|こじんばんごう|コジンバンゴウ|my\s*number", re.I)
_CARD = re.compile(r"(?<![\d-])(\d{4}(?:[ -]?\d{2,6}){2,3})(?![\d-])")
_CARD_LABEL = re.compile(r"カード|かーど|クレジット|くれじっと|card|visa|master|jcb|amex|diners|デビット", re.I)
_CARD_GROUPS = re.compile(r"^\d{4}([ -])\d{4}\1\d{4}\1\d{4}$|^\d{4}([ -])\d{6}\2\d{4,5}$")
_CARD_PREFIX = re.compile(r"^(4|5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720)|3[47]|35(2[89]|[3-8]\d)|3(0[0-5]|[689])|6(011|5|4[4-9])|62)")
_PIN = re.compile(r"(?:暗証番号|あんしょうばんごう|\bpin(?:\s*code)?\b)[^\d\n]{0,6}(\d{4})(?!\d)", re.I)
_PENSION = re.compile(r"基礎年金番号[^\d\n]{0,6}(\d{4}[ -]?\d{6})(?!\d)")
_INSURANCE = re.compile(r"(?:被保険者証?|保険証)の?(?:記号[・･]?番号|記号|番号)[^\d\n]{0,6}(\d[\d\s\-・]{3,}\d)")
_PHONE = re.compile(r"(?<![\d-])(0\d{1,4}[-(]\d{1,4}[-)]\d{3,4}|0[789]0-?\d{4}-?\d{4}|\+81[- ]?\d{1,4}-\d{1,4}-\d{3,4})(?![\d-])")
_PHONE_LABEL = re.compile(r"電話|tel|携帯|連絡先|fax|℡", re.I)
_MOBILE = re.compile(r"^(0[789]0|\+81[- ]?[789]0)")
_POSTAL = re.compile(r"(〒|郵便番号)[:： ]*(\d{3}-?\d{4})(?![\d-])")
# The labels a number needs to count (not a card's: its digits alone tell), folded
# (saiken.checks.text.quick_fold: no spaces or long-vowel marks, kana as hiragana)
_FOLDED_LABELS = words_pattern({"個人番号", "まいなんば", "こじんばんごう", "暗証", "あんしょう", "pin", "年金番号", "保険証",
                                "被保険者"})
_ZEROS = bytes.maketrans(b"123456789", b"000000000")


@dataclass(frozen=True)
class Match:
    kind: str
    start: int  # in the normalised text; normalising keeps line breaks, so line numbers stay right
    masked: str

    @property
    def never(self) -> bool:
        return self.kind in NEVER


def may_hold_never(folded: str) -> bool:
    """Whether a folded text may hold a number never to be collected: one of the labels, twelve
    digits in a row (spaces are gone), or a card's digits printed with hyphens (4-4-4-4, 4-6-5). The
    common record has none, and this costs a few microseconds: the digits are looked for in bytes,
    where one C translate and substring searches do what a regex starting at every digit did slowly."""
    digits = folded.encode("utf-8", "surrogatepass").translate(_ZEROS)
    return any(run in digits for run in (b"000000000000", b"0000-0000-0000", b"0000-000000-0000")) or \
        _FOLDED_LABELS.search(folded) is not None


def my_number_valid(digits: str) -> bool:
    """Check digit of a 12-digit individual number (番号法施行令第8条)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = [int(c) for c in digits[:11]][::-1]  # P1 is the digit just left of the check digit
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(body, 1))
    remainder = total % 11
    return int(digits[11]) == (0 if remainder <= 1 else 11 - remainder)


def luhn_valid(digits: str) -> bool:
    """The check digit of a card number (ISO/IEC 7812, Luhn)."""
    if not digits.isdigit():
        return False
    total = 0
    for n, c in enumerate(reversed(digits)):
        d = int(c) * (2 if n % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def mask(value: str) -> str:
    """Keep the last 4 digits of a long number only (enough to find the place, too little to leak);
    a short one (a PIN) is hidden whole."""
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    hide = set(digits[:-4] if len(digits) >= 10 else digits)
    return "".join("*" if i in hide else c for i, c in enumerate(value))


def find(text: str, public: set[str]) -> Iterator[Match]:
    """Every pattern: the numbers never to be collected, then phone numbers and postal codes."""
    text = normalise(text)
    yield from _never(text)
    for m in _PHONE.finditer(text):
        value = m.group(1)
        labelled = _PHONE_LABEL.search(text[max(0, m.start() - 15):m.start()])
        if (labelled or _MOBILE.match(value)) and _digits(value) not in public:
            yield Match(PHONE, m.start(1), mask(value))
    for m in _POSTAL.finditer(text):
        if _digits(m.group(2)) not in public:
            yield Match(POSTAL, m.start(2), mask(m.group(2)))


def find_never(text: str) -> Iterator[Match]:
    """Only the numbers never to be collected (inside a record, where phones and postal codes belong)."""
    yield from _never(normalise(text))


def _never(text: str) -> Iterator[Match]:
    for m in _MY_NUMBER.finditer(text):
        near = text[max(0, m.start() - 30):m.start()] + text[m.end():m.end() + 10]
        if _MY_NUMBER_LABEL.search(_kana_folded(near)) and my_number_valid("".join(m.groups())):
            yield Match(MY_NUMBER, m.start(), mask(m.group(0)))
    for m in _CARD.finditer(text):
        value, digits = m.group(1), _digits(m.group(1))
        if 14 <= len(digits) <= 16 and _CARD_PREFIX.match(digits) and luhn_valid(digits) and \
                (_CARD_GROUPS.match(value) or _CARD_LABEL.search(text[max(0, m.start() - 20):m.start()])):
            yield Match(CARD, m.start(1), mask(value))
    for kind, pattern in ((PIN, _PIN), (PENSION, _PENSION), (INSURANCE, _INSURANCE)):
        for m in pattern.finditer(text):
            yield Match(kind, m.start(1), mask(m.group(1)))


def _kana_folded(text: str) -> str:
    """Katakana as hiragana (labels are matched either way)."""
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def public_numbers(values: list[object]) -> set[str]:
    return {_digits(unicodedata.normalize("NFKC", str(v))) for v in values}
