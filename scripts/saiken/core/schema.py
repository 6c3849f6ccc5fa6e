"""Validating a decrypted case record against policies/information-items.yaml.

The schema is data: each key names the permitted information item it belongs to (term 3) or the
administrative fact it records. A key the schema does not know is refused, not ignored. Values are
typed strictly and normalised: text is NFKC (全角英数 → 半角, 半角カナ → 全角), so full-width digits
in an amount or a date are accepted and stored in their normal form – except the full-width
brackets and marks of Japanese prose（）［］｛｝！？：；～, which stay as written (入金（振込）, not
入金(振込) among full-width text). A problem that repeats the
record's own text (a refused value, an unknown key) wraps it with `redaction.quoted`, so a finding
printed to a log can hide it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Callable

from saiken import wareki
from saiken.core import inheritance
from saiken.errors import ValidationError
from saiken.redaction import quoted

CASE_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
REF = re.compile(r"^[a-z0-9][a-z0-9_-]{0,15}$")
HANDLER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")
POSTAL = re.compile(r"^\d{3}-\d{4}$")
PHONE = re.compile(r"^(\+81[- ]?)?0?\d{1,4}-?\d{1,4}-?\d{3,4}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Unicode category Cc except \t and \n
KANA = re.compile(r"^[\u30a0-\u30ff\u3040-\u309f\u30fc\s・]+$")

Problems = list[tuple[str, str]]


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


KEEP_FULL_WIDTH = frozenset("（）［］｛｝！？：；～")
_KEEP = re.compile(f"([{''.join(sorted(KEEP_FULL_WIDTH))}])")


def prose(text: str) -> str:
    """NFKC for Japanese prose: full-width brackets and marks kept (see the module's text)."""
    if not KEEP_FULL_WIDTH.intersection(text):
        return nfkc(text)
    return "".join(part if part in KEEP_FULL_WIDTH else nfkc(part) for part in _KEEP.split(text))


def is_prose(text: str) -> bool:
    """`text` is already in prose() form."""
    if not KEEP_FULL_WIDTH.intersection(text):
        return unicodedata.is_normalized("NFKC", text)
    return all(part in KEEP_FULL_WIDTH or unicodedata.is_normalized("NFKC", part) for part in _KEEP.split(text))


class _Invalid(Exception):
    pass


def _text(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> str:
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise _Invalid("文字列で書いてください")
    s = (v if v.isascii() else prose(v)).strip() if isinstance(v, str) else str(v)
    if len(s) > limits["max_text_length"]:
        raise _Invalid(f"長すぎます（{len(s)} 文字、上限 {limits['max_text_length']}）")
    if not s.isprintable() and _CONTROL.search(s):  # isprintable: a fast yes for ordinary text
        raise _Invalid("制御文字が含まれています")
    return s


def _kana(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> str:
    s = _text(v, spec, limits)
    if not KANA.match(s):
        raise _Invalid("カナで書いてください")
    return s


def _date(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> dt.date:
    if isinstance(v, dt.datetime):
        raise _Invalid("日付（YYYY-MM-DD）で書いてください（時刻は不要です）")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(nfkc(v).strip().replace("/", "-"))
        except ValueError:
            raise _Invalid(_bad_date(v)) from None
    raise _Invalid("日付（YYYY-MM-DD）で書いてください")


def _bad_date(v: str) -> str:
    try:
        day = wareki.gregorian_of(v)
    except ValueError:
        day = None
    if day is not None:  # a wareki date: say which Gregorian date to write
        return f"和暦は使えません。西暦で {quoted(day.isoformat())} と書いてください（{quoted(v)}）"
    return f"日付として正しくありません（{quoted(v)}）。YYYY-MM-DD で、実在する日付を書いてください"


def _datetime(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None) if v.tzinfo is None else v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        try:
            return dt.datetime.fromisoformat(nfkc(v).strip())
        except ValueError:
            raise _Invalid(f"日時として正しくありません（{quoted(v)}）。YYYY-MM-DD HH:MM で書いてください") from None
    raise _Invalid("日時（YYYY-MM-DD HH:MM）で書いてください")


def _integer(v: Any) -> int:
    if isinstance(v, bool):
        raise _Invalid("数値で書いてください")
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        raise _Invalid("整数で書いてください（小数は使えません）")
    if isinstance(v, str):
        s = nfkc(v).strip().replace(",", "").removesuffix("円").removeprefix("金")
        if re.fullmatch(r"-?\d+", s):
            return int(s)
    raise _Invalid(f"整数で書いてください（{quoted(v)}）")


def _yen(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> int:
    n = _integer(v)
    if n < 0:
        raise _Invalid("金額は 0 以上の整数（円）です")
    if n > 10**11:
        raise _Invalid("金額が大きすぎます")
    return n


def _count(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> int:
    n = _integer(v)
    if n < 0 or n > 10000:
        raise _Invalid("0 以上の整数で書いてください")
    return n


def _day(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> int:
    n = _integer(v)
    if not 1 <= n <= 31:
        raise _Invalid("日は 1〜31 です")
    return n


def _bool(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> bool:
    if isinstance(v, bool):
        return v
    raise _Invalid("true か false で書いてください")


def _pattern(rx: re.Pattern[str], what: str) -> Callable[[Any, dict[str, Any], dict[str, Any]], str]:
    def check(v: Any, spec: dict[str, Any], limits: dict[str, Any]) -> str:
        if isinstance(v, int) and not isinstance(v, bool):
            raise _Invalid(f"{what}は引用符で囲んで文字列として書いてください（先頭の 0 が消えるため）")
        s = _text(v, spec, limits)
        if not rx.match(s):
            raise _Invalid(f"{what}の形式が正しくありません（{quoted(s)}）")
        return s
    return check


_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "postal_code": (POSTAL, "郵便番号"), "phone": (PHONE, "電話番号"), "email": (EMAIL, "メールアドレス"),
    "case_id": (CASE_ID, "事案番号"), "ref": (REF, "当事者番号"), "handler": (HANDLER_ID, "取扱者 ID"),
}
SCALARS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]] = {
    "text": _text, "kana": _kana, "date": _date, "datetime": _datetime, "yen": _yen,
    "count": _count, "day": _day, "bool": _bool,
    **{kind: _pattern(rx, what) for kind, (rx, what) in _PATTERNS.items()},
}


# A field path is built only when a problem is reported: ("", None) at the top, (parent, key)
# below it, rendered as parties[0].name.family. Formatting a path string for each of the ~100
# values of a record cost more than checking most of them.
_Path = tuple[Any, Any]
_Check = Callable[[Any, _Path, Problems], Any]  # (value, field path, problems) -> normalised value
_TOP: _Path = ("", None)
_UNKNOWN = ("情報項目の定義にない項目です。収集できるのは必要最小限の範囲の項目だけです"
            "（特記事項3）。policies/information-items.yaml にある項目だけを使ってください")


def _render(path: _Path) -> str:
    keys: list[Any] = []
    while path[1] is not None:
        keys.append(path[1])
        path = path[0]
    out = ""
    for key in reversed(keys):
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


ITEMS_FILE = "policies/information-items.yaml"
_KINDS = ("map", "list", "enum", *SCALARS)


def check_items(items: Any) -> None:
    """policies/information-items.yaml has the shape the validator needs – a ValidationError listing
    each misshapen entry, so that a hand edit gone wrong is named, not a crash in every command."""
    problems: Problems = []
    if not isinstance(items, dict):
        problems.append(("", "ファイルの最上位は「キー: 値」の形でなければなりません"))
    else:
        for key in ("max_record_bytes", "max_text_length"):
            value = items.get(key, 1)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append((key, f"1 以上の整数で書いてください（{value}）"))
        lists = items.get("lists", {})
        if not isinstance(lists, dict):
            problems.append(("lists", "「名前: [値, 値, …]」のまとまりで書いてください"))
            lists = {}
        for name, values in lists.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append((f"lists.{name}", "[値, 値, …] の文字列の一覧で書いてください"))
        if "record" not in items:
            problems.append(("record", "記録の項目の定義（record:）がありません"))
        else:
            _check_spec(items["record"], "record", lists, problems, top=True)
    if problems:
        raise ValidationError(problems, where=ITEMS_FILE)  # the hint: errors.restore_hint


def _check_spec(spec: Any, path: str, lists: dict[str, Any], problems: Problems, *, top: bool = False) -> None:
    if not isinstance(spec, dict):
        problems.append((path, "項目の定義は「type: …」などの「キー: 値」で書いてください"))
        return
    kind = spec.get("type", "map" if top else "text")
    if kind not in _KINDS:
        problems.append((f"{path}.type", f"「{kind}」は使えません。次のいずれかです: {'、'.join(_KINDS)}"))
    elif kind == "map":
        fields = spec.get("fields", {})
        if not isinstance(fields, dict):
            problems.append((f"{path}.fields", "「項目名: 定義」のまとまりで書いてください"))
            return
        for key, child in fields.items():
            _check_spec(child, f"{path}.fields.{key}", lists, problems)
    elif kind == "list":
        minimum = spec.get("min", 0)
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
            problems.append((f"{path}.min", f"0 以上の整数で書いてください（{minimum}）"))
        _check_spec(spec.get("items", {}), f"{path}.items", lists, problems)
    elif kind == "enum" and spec.get("values") not in lists:
        problems.append((f"{path}.values", f"「{spec.get('values')}」は lists にありません。次のいずれかです: "
                                           f"{'、'.join(map(str, lists))}"))


class Validator:
    """Walks a record against the schema, normalising values in place and collecting problems.

    The schema is compiled once into one small function per node (checking 10,000 records is
    then mostly the work itself, not looking up the schema); compiled schemas are kept per
    policy object."""

    _compiled: dict[int, tuple[dict[str, Any], _Check]] = {}

    def __init__(self, items: dict[str, Any]) -> None:
        hit = Validator._compiled.get(id(items))
        if hit is None or hit[0] is not items:
            check_items(items)
            lists: dict[str, list[str]] = items.get("lists", {})
            limits = {"max_text_length": int(items.get("max_text_length", 4000))}
            if len(Validator._compiled) > 16:
                Validator._compiled.clear()
            hit = Validator._compiled[id(items)] = (items, _compile(items["record"], lists, limits, top=True))
        self._root = hit[1]
        self.problems: Problems = []

    def validate(self, record: Any) -> Problems:
        self.problems = []
        if not isinstance(record, dict):
            self.problems.append(("", "記録の最上位は「キー: 値」の形でなければなりません"))
        else:
            self._root(record, _TOP, self.problems)
        return self.problems


def _compile(spec: dict[str, Any], lists: dict[str, list[str]], limits: dict[str, Any], *, top: bool = False) -> _Check:
    kind = spec.get("type", "map" if top else "text")
    if kind == "map":
        return _compile_map(spec, lists, limits)
    if kind == "list":
        return _compile_list(spec, lists, limits)
    if kind == "enum":
        return _compile_enum(lists.get(spec.get("values", ""), []))
    scalar = SCALARS.get(kind)
    fast = _FAST.get(kind) if _SHORTCUTS else None
    longest = limits["max_text_length"]

    def check_scalar(value: Any, path: _Path, problems: Problems) -> Any:
        if scalar is None:
            raise KeyError(kind)
        if fast is not None:  # the common, valid case without the general function and its messages
            done = fast(value, longest)
            if done is not None:
                return done
        try:
            return scalar(value, spec, limits)
        except _Invalid as exc:
            problems.append((_render(path), str(exc)))
            return value
    return check_scalar


def _fast_text(v: Any, longest: int) -> str | None:
    """Text already in normal form (NFKC, stripped, no control characters): the value itself."""
    if type(v) is str and len(v) <= longest and v.isprintable() and v == v.strip() and (
            v.isascii() or is_prose(v)):
        return v
    return None


def _fast_pattern(rx: re.Pattern[str]) -> Callable[[Any, int], str | None]:
    def fast(v: Any, longest: int) -> str | None:
        return v if _fast_text(v, longest) is not None and rx.match(v) else None
    return fast


def _fast_datetime(v: Any, longest: int) -> dt.datetime | None:
    return v if type(v) is dt.datetime and v.tzinfo is None else None


def _fast_date(v: Any, longest: int) -> dt.date | None:
    return v if type(v) is dt.date else None


_FAST: dict[str, Callable[[Any, int], Any]] = {
    "text": _fast_text, "datetime": _fast_datetime, "date": _fast_date,
    **{kind: _fast_pattern(rx) for kind, (rx, _) in _PATTERNS.items()},
}
_SHORTCUTS = True  # tests compile without them and compare


def _compile_map(spec: dict[str, Any], lists: dict[str, list[str]], limits: dict[str, Any]) -> _Check:
    field_specs: dict[str, Any] = spec.get("fields", {})
    fields = {key: _compile(fspec, lists, limits) for key, fspec in field_specs.items()}
    required = [key for key, fspec in field_specs.items() if fspec.get("required")]
    required_set = set(required)

    def check_map(value: Any, path: _Path, problems: Problems) -> Any:
        if not isinstance(value, dict):
            problems.append((_render(path), "「キー: 値」のまとまりで書いてください"))
            return value
        for key, child in list(value.items()):
            check = fields.get(key) if isinstance(key, str) else None
            if check is None:
                problems.append((_render((path, quoted(key))), _UNKNOWN))  # a key nobody defined is the record's text
                continue
            if child is None:
                if key in required_set:
                    problems.append((_render((path, key)), "必須の項目が空です"))
                continue
            new = check(child, (path, key), problems)
            if new is not child:
                value[key] = new
        for key in required:
            if key not in value:
                problems.append((_render((path, key)), "必須の項目がありません"))
        return value
    return check_map


def _compile_list(spec: dict[str, Any], lists: dict[str, list[str]], limits: dict[str, Any]) -> _Check:
    item = _compile(spec.get("items", {}), lists, limits)
    minimum = int(spec.get("min", 0))

    def check_list(value: Any, path: _Path, problems: Problems) -> Any:
        if not isinstance(value, list):
            problems.append((_render(path), "「- 」で始まる繰り返しで書いてください"))
            return value
        if len(value) < minimum:
            problems.append((_render(path), f"少なくとも {spec['min']} 件必要です"))
        for i, child in enumerate(value):
            new = item(child, (path, i), problems)
            if new is not child:
                value[i] = new
        return value
    return check_list


def _compile_enum(allowed: list[str]) -> _Check:
    normal = frozenset(a for a in allowed if isinstance(a, str) and nfkc(a).strip() == a and _SHORTCUTS)

    def check_enum(value: Any, path: _Path, problems: Problems) -> Any:
        if type(value) is str and value in normal:
            return value  # already in normal form: NFKC would change nothing
        text = nfkc(value).strip() if isinstance(value, str) else value
        if text not in allowed:
            problems.append((_render(path), f"「{quoted(value)}」は使えません。次のいずれかです: {'、'.join(allowed)}"))
        return text
    return check_enum


def field_names(items: dict[str, Any]) -> frozenset[str]:
    """Every key the schema defines, anywhere in a record. Any other key is the record's own text
    (a finding's field path quotes it, see saiken.redaction)."""
    names: set[str] = set()

    def walk(spec: Any) -> None:
        if isinstance(spec, dict):
            for key, child in (spec.get("fields") or {}).items():
                names.add(str(key))
                walk(child)
            walk(spec.get("items"))
    walk(items.get("record") or {})
    return frozenset(names)


def cross_checks(record: dict[str, Any], handler_ids: set[str] | None) -> Problems:
    """Checks that span fields: party references, dates in order, known handlers."""
    problems: Problems = []
    parties = record.get("parties") or []
    ids = [p.get("id") for p in parties if isinstance(p, dict)]
    for dup in sorted({i for i in ids if ids.count(i) > 1 and i}):
        problems.append(("parties", f"当事者番号「{quoted(dup)}」が重複しています"))
    if parties and isinstance(parties[0], dict) and parties[0].get("role") != "borrower":
        problems.append(("parties[0].role", "最初の当事者は借受人（borrower）です"))
    for i, p in enumerate(parties):
        if not isinstance(p, dict):
            continue
        if p.get("role") == "heir" and p.get("heir_of") not in ids:
            problems.append((f"parties[{i}].heir_of", "相続人には、相続元の当事者番号（heir_of）が必要です"))
    problems += inheritance.problems(record)
    claim = record.get("claim") if isinstance(record.get("claim"), dict) else {}
    refs = [(f"claim.payments[{i}].party", p.get("party")) for i, p in enumerate(claim.get("payments") or [])
            if isinstance(p, dict)]
    refs += [(f"agreements[{i}].parties", ref) for i, a in enumerate(record.get("agreements") or [])
             if isinstance(a, dict) for ref in a.get("parties") or []]
    refs += [(f"history[{i}].party", h.get("party")) for i, h in enumerate(record.get("history") or [])
             if isinstance(h, dict)]
    for where, ref in refs:
        if ref is not None and ref not in ids:
            problems.append((where, f"当事者番号「{quoted(ref)}」はこの記録にありません"))
    for i, h in enumerate(record.get("history") or []):
        if not isinstance(h, dict):
            continue
        if handler_ids is not None and h.get("by") and h["by"] not in handler_ids:
            problems.append((f"history[{i}].by", f"取扱者「{quoted(h['by'])}」は policies/handlers.yaml にいません"))
    return problems
