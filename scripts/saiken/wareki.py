"""Writing conventions of Japanese documents: wareki dates, fiscal years, amounts, 午前/午後.

Records store ISO dates and integer yen; only documents and screens print them this way.

- Dates: 令和3年4月1日; the first year of an era is 「元年」 (令和元年5月1日). 平成 runs to
  2019-04-30, 令和 from 2019-05-01; 昭和, 大正 and 明治 are there for birth dates.
- Fiscal year (年度): April to March. It takes the name of the era in force for most of it, as
  offices do: FY2019 (2019-04-01〜2020-03-31) is 令和元年度, FY1988 is 昭和63年度.
- Amounts: 「金1,234,567円」 with commas (horizontal documents); 大字 where an amount must resist
  alteration (agreements). The 大字 set is the one Japanese legal practice uses: 壱 弐 参 and 拾
  replace 一 二 三 十 (the strokes that are easy to add to); 四〜九, 百 and 千 stay ordinary; 萬 for
  10^4 as in formal deeds; 億 for 10^8. Every 壱 is written out (壱拾, 壱百, 壱千, 壱萬) so that no
  digit can be prefixed later. Zero is 零.
- Times: 午前/午後 on a 12-hour clock; midnight is 午前0時 and noon 午後0時 (the official usage).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from saiken.errors import SaikenError

# (first day, name), newest first. Meiji counts from the Gregorian calendar's adoption (明治6年).
ERAS: tuple[tuple[dt.date, str, int], ...] = (
    (dt.date(2019, 5, 1), "令和", 2019),
    (dt.date(1989, 1, 8), "平成", 1989),
    (dt.date(1926, 12, 25), "昭和", 1926),
    (dt.date(1912, 7, 30), "大正", 1912),
    (dt.date(1873, 1, 1), "明治", 1868),
)

DAIJI_DIGITS = ("零", "壱", "弐", "参", "四", "五", "六", "七", "八", "九")
DAIJI_SMALL_UNITS = ((1000, "千"), (100, "百"), (10, "拾"))
DAIJI_BIG_UNITS = ((10**8, "億"), (10**4, "萬"))
MAX_DAIJI = 10**12 - 1


def to_date(value: dt.date | str) -> dt.date:
    """An ISO date (or a date/datetime) as a date; a clear error otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SaikenError(f"日付として読めません（{value}）。", hint="YYYY-MM-DD で書いてください。") from None


_TYPED_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_TYPED_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_TYPED_WAREKI = re.compile(r"(令和|平成|昭和|大正|明治)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日")


def read_date(text: str) -> dt.date:
    """A date as staff type it: 2026-04-01, 2026/4/1, full-width digits. Anything else raises
    ValueError with a Japanese reason; a wareki date gets its Gregorian form as the suggestion
    (records and options hold Gregorian dates only, so the two never mix)."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    m = _TYPED_DATE.fullmatch(s)
    if m:
        try:
            return dt.date(*map(int, m.groups()))
        except ValueError:
            raise ValueError(f"「{text}」は実在しない日付です") from None
    try:
        day = gregorian_of(s)
    except ValueError:
        raise ValueError(f"「{text}」は実在しない日付です。西暦の YYYY-MM-DD で書いてください") from None
    if day is not None:
        raise ValueError(f"和暦は使えません。西暦の YYYY-MM-DD で書いてください（「{text}」なら {day.isoformat()}）")
    if not s:
        raise ValueError("日付が空です。西暦の YYYY-MM-DD で書いてください")
    raise ValueError(f"「{text}」は日付として読めません。西暦の YYYY-MM-DD で書いてください")


def gregorian_of(text: str) -> dt.date | None:
    """The date a wareki text such as 令和3年4月1日 names; None for any other text, ValueError for
    a wareki date that does not exist (令和9年2月30日). For messages: saiken stores Gregorian dates."""
    w = _TYPED_WAREKI.fullmatch(unicodedata.normalize("NFKC", str(text)).strip())
    if not w:
        return None
    base = next(b for _, name, b in ERAS if name == w[1])
    return dt.date(base + (1 if w[2] == "元" else int(w[2])) - 1, int(w[3]), int(w[4]))


def read_datetime(text: str) -> dt.datetime:
    """'2026-04-01 10:30' (or 'T' between, or a date alone for midnight), as read_date reads dates."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    day, _, clock = s.replace("T", " ").partition(" ")
    d = read_date(day)
    if not clock.strip():
        return dt.datetime.combine(d, dt.time())
    m = _TYPED_TIME.fullmatch(clock.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f"「{text}」の時刻が読めません。「YYYY-MM-DD HH:MM」で書いてください")
    return dt.datetime.combine(d, dt.time(int(m[1]), int(m[2])))


def era_of(day: dt.date) -> tuple[str, int]:
    """The era name and the year within it (1 for 元年)."""
    for start, name, base in ERAS:
        if day >= start:
            return name, day.year - base + 1
    raise SaikenError(f"{day.isoformat()} は和暦に変換できません（明治6年より前）。")


def era_year(name: str, year: int) -> str:
    return f"{name}{'元' if year == 1 else year}年"


def wareki(value: dt.date | str) -> str:
    """2021-04-01 → 令和3年4月1日; 2019-05-01 → 令和元年5月1日."""
    day = to_date(value)
    name, year = era_of(day)
    return f"{era_year(name, year)}{day.month}月{day.day}日"


def fiscal_year(value: dt.date | str) -> int:
    """The fiscal year (年度) a date falls in, as the Gregorian year it starts in."""
    day = to_date(value)
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_label(value: dt.date | str | int) -> str:
    """令和3年度 for any date in 2021-04-01〜2022-03-31 (or for the int 2021)."""
    start_year = value if isinstance(value, int) else fiscal_year(value)
    start, end = dt.date(start_year, 4, 1), dt.date(start_year + 1, 3, 31)
    # The era in force for most of the year: count the days each era holds.
    days: dict[tuple[str, int], int] = {}
    for era_start, name, base in ERAS:
        lo, hi = max(start, era_start), end
        for later_start, _, _ in ERAS:
            if later_start > era_start:
                hi = min(hi, later_start - dt.timedelta(days=1))
        if lo <= hi:
            days[(name, start_year - base + 1)] = (hi - lo).days + 1
    if not days:
        raise SaikenError(f"{start_year}年度は和暦に変換できません。")
    name, year = max(days, key=lambda k: days[k])
    return era_year(name, max(year, 1)) + "度"


def yen(amount: int) -> str:
    """1234567 → 金1,234,567円."""
    return f"金{_amount(amount):,}円"


def _amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise SaikenError(f"金額は 0 以上の整数（円）です（{amount}）。")
    return amount


def _daiji_below_10000(n: int) -> str:
    out = []
    for unit, mark in DAIJI_SMALL_UNITS:
        if n >= unit:
            out.append(DAIJI_DIGITS[n // unit] + mark)
            n %= unit
    if n:
        out.append(DAIJI_DIGITS[n])
    return "".join(out)


def daiji_number(amount: int) -> str:
    """123456 → 壱拾弐萬参千四百五拾六 (see the module docstring for the character set)."""
    n = _amount(amount)
    if n > MAX_DAIJI:
        raise SaikenError(f"大字で書ける金額の上限を超えています（{n:,}円）。")
    if n == 0:
        return DAIJI_DIGITS[0]
    out = []
    for unit, mark in DAIJI_BIG_UNITS:
        if n >= unit:
            out.append(_daiji_below_10000(n // unit) + mark)
            n %= unit
    out.append(_daiji_below_10000(n))
    return "".join(out)


def daiji(amount: int, *, suffix: str = "") -> str:
    """1234567 → 金壱百弐拾参萬四千五百六拾七円 (suffix 「也」 if a form wants it)."""
    return f"金{daiji_number(amount)}円{suffix}"


def time_ampm(value: dt.time | dt.datetime) -> str:
    """10:30 → 午前10時30分; 13:00 → 午後1時; 12:05 → 午後0時5分; 0:00 → 午前0時."""
    t = value.time() if isinstance(value, dt.datetime) else value
    half = "午前" if t.hour < 12 else "午後"
    text = f"{half}{t.hour % 12}時"
    return text + (f"{t.minute}分" if t.minute else "")


def wareki_datetime(value: dt.datetime) -> str:
    """2021-04-01 14:30 → 令和3年4月1日午後2時30分."""
    return wareki(value.date()) + time_ampm(value)
