"""Nothing that looks like a record outside the encrypted records (terms 2, 8).

A decrypted record saved as a file, a list of debtors exported to CSV, a memo with 氏名：… 住所：…:
each is refused wherever it is – docs/, ledger/, tests/ of a records repository – with or without a
key and with or without a `case_id:` line. A text looks like a record when it names a person (a
name or kana field with a value) together with where or when they live (an address, a postal code
or a birth date), as labelled fields: YAML or JSON keys (`family:`, `"address":`), `氏名：…` lines,
or the columns of a CSV, TSV or Markdown table under such a header. Values are judged by their
shape (a date, a postal code, an address with a number) and must stand within a few lines of each
other (a record, a row, a memo), so the keys alone – a template, a
procedure that lists what to ask, policies/information-items.yaml – are no record; nor is a list of
handlers (names and e-mail addresses of staff), nor an organisation's name and address (the ward and
the law office in policies/contract.yaml). A `case_id:` line with `parties:` is a record
whatever its values.

`looks_like_record` is used on files here and on commit messages, tag messages and notes by
pii_outside. Files of saiken's own tests (the `fictional` kind, honoured only where nobody is
designated) are not judged.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable, Iterator

from saiken.checks import ERROR, FileInput, Finding, FindingMaker, paths
from saiken.checks.context import CheckInput
from saiken.checks.text import normalise
from saiken.core.layout import RECORDS_DIR

ID = "record_like"
TERMS = (2, 8)
SEVERITY = ERROR
TITLE = "事案の記録のような平文（氏名と住所・生年月日など）を、暗号化した記録の外に置かない"

NAME, KANA, ADDRESS, BIRTH, POSTAL, CONTACT = "氏名", "カナ", "住所", "生年月日", "郵便番号", "連絡先"
_WHO, _WHERE = (NAME, KANA), (ADDRESS, BIRTH, POSTAL)
_KEYS = {
    NAME: ("name", "family", "given", "family_name", "given_name", "last_name", "first_name", "full_name", "fullname",
           "氏名", "名前", "姓", "名", "氏", "債務者", "借受人", "保証人", "連帯保証人", "相続人"),
    KANA: ("family_kana", "given_kana", "kana", "name_kana", "furigana", "フリガナ", "ふりがな", "カナ", "氏名カナ",
           "氏名(カナ)", "カナ氏名"),
    ADDRESS: ("address", "line", "registered_domicile", "domicile", "address_line", "住所", "本籍", "本籍地", "所在地",
              "居所", "現住所"),
    BIRTH: ("birth_date", "birthdate", "birthday", "date_of_birth", "dob", "生年月日", "誕生日"),
    POSTAL: ("postal_code", "zip", "zipcode", "zip_code", "郵便番号", "〒"),
    CONTACT: ("phone", "mobile", "tel", "telephone", "email", "mail", "e-mail", "電話", "電話番号", "携帯", "携帯電話",
              "メール", "メールアドレス", "連絡先"),
}
_CATEGORY = {key.lower(): cat for cat, keys in _KEYS.items() for key in keys}
_KEY_ALTERNATION = "|".join(sorted(map(re.escape, _CATEGORY), key=len, reverse=True))
# key: value – YAML (block or flow), JSON, 氏名：… lines; the value runs to the end of the line, a comma or a
# bracket (a nested mapping's own keys are fields of their own)
_FIELD = re.compile(rf"(?:^|(?<=[\s{{,\[|]))[\"']?({_KEY_ALTERNATION})[\"']?[ \t]*[:=][ \t]*"
                    r"(\"[^\"\n]*\"|'[^'\n]*'|[^,{}\[\]\n|]*)", re.I | re.M)
_CELLS = re.compile(r"[,\t|]")
_PLACEHOLDER = re.compile(r"[〇○◯●×＊*{}<>$%…]|yyyy|xx|^(null|none|~|-|tbd|姓|名|氏名|名前|住所|カナ|フリガナ|せい|めい)$", re.I)
_DATE = re.compile(r"(?<!\d)(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|(?:明治|大正|昭和|平成|令和|[mtshr])"
                   r"\s*(?:\d{1,2}|元)\s*[年.]\s*\d{1,2}\s*[月.]\s*\d{1,2})", re.I)
_POSTAL_VALUE = re.compile(r"(?<!\d)\d{3}-?\d{4}(?!\d)")
_ADDRESS_VALUE = re.compile(r"[都道府県].*?[市区町村郡]|[\u3040-\u30ff\u4e00-\u9fff].*\d|\d.*(?:丁目|番地|番|号)")
# An organisation's name (the ward, the law office in policies/contract.yaml) is no person's
_ORGANISATION = re.compile(r"(?:区|市|都|府|県|事務所|法人|会社|課|係|局|センター|協会|組合|学校|大学|銀行|庁|省|役所|役場)"
                           r"(?:[（(][^）)]*[）)])?$")
_WORDY = re.compile(r"[A-Za-z\u3040-\u30ff\u4e00-\u9fff]")
_RECORD_SHAPE = re.compile(r"^case_id\s*:\s*[\"']?[A-Za-z0-9]", re.M)  # a value, not a template's {case_id}
NEAR = 12  # lines: a person's fields stand together (a record, a row); a source file's far apart
_PARTIES = re.compile(r"^parties\s*:", re.M)

_found = FindingMaker(ID, TERMS, SEVERITY)


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    if f.path.startswith(RECORDS_DIR + "/") or paths.is_fictional(inp, f.path):
        return  # records/: the plaintext check refuses every file there that is not age
    text = paths.text_of(f.data)
    why = looks_like_record(text) if text is not None else None
    if why:
        yield _found(f.path, None, f"事案の記録のような平文（{why}）が暗号化されずに置かれています。個人情報は暗号化した"
                     f"記録（records/）の中にだけ置きます。{paths.move_out(f.path, inp)}記録にする内容なら "
                     "`saiken case new --from ファイル`（既存の事案は `saiken case edit 事案番号`）で暗号化してください。")


def looks_like_record(text: str) -> str | None:
    """What makes `text` look like a record ("氏名と住所" …), or None; never the data itself."""
    if _RECORD_SHAPE.search(text) and _PARTIES.search(text):
        return "case_id と parties"
    if not _CELLS.search(text) and ":" not in text and "：" not in text and "=" not in text:
        return None  # no field at all (prose): the common case, answered without normalising
    text = normalise(text)
    lines: dict[str, list[int]] = {}
    for cat, value, line in _fields(text):
        if _is_data(cat, value):
            lines.setdefault(cat, []).append(line)
    who = [c for c in _WHO if c in lines]
    near = [c for c in _WHERE if c in lines and any(abs(a - b) <= NEAR for w in who for a in lines[w] for b in lines[c])]
    return "と".join(who[:1] + near) if who and near else None


def _fields(text: str) -> Iterator[tuple[str, str, int]]:
    """(category, value, line number) of every labelled field."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for m in _FIELD.finditer(text):
        yield _CATEGORY[m.group(1).lower()], m.group(2).strip().strip("\"'").strip(), bisect.bisect(starts, m.start())
    yield from _table_fields(text.splitlines())


def _table_fields(lines: list[str]) -> Iterator[tuple[str, str, int]]:
    """Cells of a CSV, TSV or Markdown table whose header row names personal fields."""
    header: list[str | None] | None = None
    for n, line in enumerate(lines, 1):
        cells = [c.strip().strip("\"'").strip() for c in _CELLS.split(line)]
        if len(cells) < 2:
            header = None
            continue
        named = [_CATEGORY.get(c.lower()) for c in cells]
        if sum(1 for c in named if c) >= 2:
            header = named
            continue
        if header is not None:
            yield from ((cat, value, n) for cat, value in zip(header, cells) if cat)


def _is_data(category: str, value: str) -> bool:
    if not value or _PLACEHOLDER.search(value):
        return False
    if category in (NAME, KANA):
        return (len(value) <= 40 and _WORDY.search(value) is not None and not value.startswith(("[", "|"))
                and not _ORGANISATION.search(value))
    if category == BIRTH:
        return _DATE.search(value) is not None
    if category == POSTAL:
        return _POSTAL_VALUE.search(value) is not None
    if category == ADDRESS:
        return len(value) >= 5 and _ADDRESS_VALUE.search(value) is not None
    return True
