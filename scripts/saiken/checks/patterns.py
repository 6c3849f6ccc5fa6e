"""Personal data recognisable without any record: マイナンバー, phone numbers, postal codes.

Only labelled or unmistakable forms count, so the contract's own text and ordinary numbers in
docs/ stay quiet: a 12-digit number is a マイナンバー only with a valid check digit and the label
マイナンバー/個人番号 close by; a phone number only next to 電話/TEL/携帯/連絡先/FAX, or when it
is a mobile number (070/080/090); a postal code only after 〒 or 郵便番号. Numbers the repository
declares public (policies/personal-data.yaml `public:`) are skipped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator

MY_NUMBER, PHONE, POSTAL = "マイナンバー", "電話番号", "郵便番号"
_MY_NUMBER = re.compile(r"(?<![\d-])(\d{4})[ -]?(\d{4})[ -]?(\d{4})(?![\d-])")
_MY_NUMBER_LABEL = re.compile(r"マイナンバー|個人番号")
_PHONE = re.compile(r"(?<![\d-])(0\d{1,4}[-(]\d{1,4}[-)]\d{3,4}|0[789]0-?\d{4}-?\d{4}|\+81[- ]?\d{1,4}-\d{1,4}-\d{3,4})(?![\d-])")
_PHONE_LABEL = re.compile(r"電話|tel|携帯|連絡先|fax|℡", re.I)
_MOBILE = re.compile(r"^(0[789]0|\+81[- ]?[789]0)")
_POSTAL = re.compile(r"(〒|郵便番号)[:： ]*(\d{3}-?\d{4})(?![\d-])")


@dataclass(frozen=True)
class Match:
    kind: str
    start: int  # in the NFKC text; NFKC keeps line breaks, so line numbers stay right
    masked: str


def my_number_valid(digits: str) -> bool:
    """Check digit of a 12-digit individual number (番号法施行令第8条)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = [int(c) for c in digits[:11]][::-1]  # P1 is the digit just left of the check digit
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(body, 1))
    remainder = total % 11
    return int(digits[11]) == (0 if remainder <= 1 else 11 - remainder)


def mask(value: str) -> str:
    """Keep the last 4 digits only: enough to find the place, too little to leak."""
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    hide = set(digits[:-4])
    return "".join("*" if i in hide else c for i, c in enumerate(value))


def find(text: str, public: set[str]) -> Iterator[Match]:
    text = unicodedata.normalize("NFKC", text)
    for m in _MY_NUMBER.finditer(text):
        digits = "".join(m.groups())
        near = text[max(0, m.start() - 30):m.start()] + text[m.end():m.end() + 10]
        if _MY_NUMBER_LABEL.search(near) and my_number_valid(digits):
            yield Match(MY_NUMBER, m.start(), mask(m.group(0)))
    for m in _PHONE.finditer(text):
        value = m.group(1)
        labelled = _PHONE_LABEL.search(text[max(0, m.start() - 15):m.start()])
        if (labelled or _MOBILE.match(value)) and _digits(value) not in public:
            yield Match(PHONE, m.start(1), mask(value))
    for m in _POSTAL.finditer(text):
        if _digits(m.group(2)) not in public:
            yield Match(POSTAL, m.start(2), mask(m.group(2)))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def public_numbers(values: list[object]) -> set[str]:
    return {_digits(unicodedata.normalize("NFKC", str(v))) for v in values}
