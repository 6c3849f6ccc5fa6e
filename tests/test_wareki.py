"""Wareki dates, fiscal years, amounts (算用数字 and 大字) and times as documents print them."""

from __future__ import annotations

import datetime as dt

import pytest

from saiken import wareki
from saiken.errors import SaikenError

D = dt.date.fromisoformat


@pytest.mark.parametrize("iso, expected", [
    ("2021-04-01", "令和3年4月1日"),
    ("2019-05-01", "令和元年5月1日"),        # first day of 令和: 元年
    ("2019-04-30", "平成31年4月30日"),       # last day of 平成
    ("2019-12-31", "令和元年12月31日"),
    ("2020-01-01", "令和2年1月1日"),
    ("1989-01-07", "昭和64年1月7日"),        # last day of 昭和
    ("1989-01-08", "平成元年1月8日"),
    ("1995-04-02", "平成7年4月2日"),
    ("1926-12-24", "大正15年12月24日"),
    ("1926-12-25", "昭和元年12月25日"),
    ("1960-02-29", "昭和35年2月29日"),
    ("1912-07-29", "明治45年7月29日"),
    ("1912-07-30", "大正元年7月30日"),
    ("2100-03-01", "令和82年3月1日"),
])
def test_wareki(iso: str, expected: str) -> None:
    assert wareki.wareki(iso) == expected
    assert wareki.wareki(D(iso)) == expected


def test_wareki_accepts_datetimes_and_refuses_nonsense() -> None:
    assert wareki.wareki(dt.datetime(2021, 4, 1, 15, 0)) == "令和3年4月1日"
    with pytest.raises(SaikenError, match="日付として読めません"):
        wareki.wareki("2021-02-30")
    with pytest.raises(SaikenError, match="明治6年より前"):
        wareki.wareki("1872-12-31")


@pytest.mark.parametrize("iso, year", [("2021-04-01", 2021), ("2022-03-31", 2021), ("2022-04-01", 2022),
                                       ("2020-01-15", 2019)])
def test_fiscal_year(iso: str, year: int) -> None:
    assert wareki.fiscal_year(iso) == year


@pytest.mark.parametrize("value, label", [
    (2021, "令和3年度"), ("2022-03-31", "令和3年度"),
    (2019, "令和元年度"),        # 2019-04-01〜2020-03-31: 令和 holds 11 of its 12 months
    ("2019-04-15", "令和元年度"),
    (2018, "平成30年度"),
    (1988, "昭和63年度"),        # 昭和 ended 1989-01-07, three months before the year's end
    (1989, "平成元年度"),
    (1926, "大正15年度"),
])
def test_fiscal_year_label(value: object, label: str) -> None:
    assert wareki.fiscal_year_label(value) == label  # type: ignore[arg-type]


@pytest.mark.parametrize("amount, text", [(0, "金0円"), (999, "金999円"), (1000, "金1,000円"),
                                          (1234567, "金1,234,567円"), (100000000, "金100,000,000円")])
def test_yen(amount: int, text: str) -> None:
    assert wareki.yen(amount) == text


@pytest.mark.parametrize("bad", [-1, 1.5, True, "1000"])
def test_amounts_must_be_non_negative_integers(bad: object) -> None:
    with pytest.raises(SaikenError, match="0 以上の整数"):
        wareki.yen(bad)  # type: ignore[arg-type]
    with pytest.raises(SaikenError, match="0 以上の整数"):
        wareki.daiji(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount, text", [
    (0, "零"), (1, "壱"), (2, "弐"), (3, "参"), (4, "四"), (9, "九"),
    (10, "壱拾"), (11, "壱拾壱"), (20, "弐拾"), (35, "参拾五"),
    (100, "壱百"), (101, "壱百壱"), (110, "壱百壱拾"), (1000, "壱千"), (2345, "弐千参百四拾五"),
    (10000, "壱萬"), (10010, "壱萬壱拾"), (18000, "壱萬八千"), (300005, "参拾萬五"),
    (1080000, "壱百八萬"), (1234567, "壱百弐拾参萬四千五百六拾七"),
    (100000000, "壱億"), (123456789, "壱億弐千参百四拾五萬六千七百八拾九"), (200000001, "弐億壱"),
])
def test_daiji_number(amount: int, text: str) -> None:
    assert wareki.daiji_number(amount) == text


def test_daiji_with_prefix_and_suffix() -> None:
    assert wareki.daiji(1234567) == "金壱百弐拾参萬四千五百六拾七円"
    assert wareki.daiji(30000, suffix="也") == "金参萬円也"
    with pytest.raises(SaikenError, match="上限"):
        wareki.daiji(10**12)


_VALUE = {c: n for n, c in enumerate(wareki.DAIJI_DIGITS)}
_SMALL = {"拾": 10, "百": 100, "千": 1000}
_BIG = {"萬": 10**4, "億": 10**8}


def _read_daiji(text: str) -> int:
    """An independent reader of 大字, to check the writer over a range of amounts."""
    total = group = digit = 0
    for ch in text:
        if ch in _VALUE:
            digit = _VALUE[ch]
        elif ch in _SMALL:
            assert digit, f"a unit without its digit in {text}"  # 壱 is always written out
            group += digit * _SMALL[ch]
            digit = 0
        else:
            total += (group + digit) * _BIG[ch]
            group = digit = 0
    return total + group + digit


@pytest.mark.parametrize("start", [0, 9_990, 99_990, 1_079_990, 99_999_990, 100_009_990])
def test_daiji_round_trips_and_uses_only_the_formal_set(start: int) -> None:
    for n in range(start, start + 2_000, 7):
        text = wareki.daiji_number(n)
        assert _read_daiji(text) == n, text
        assert not set(text) & set("一二三十万"), text  # the alterable characters never appear


@pytest.mark.parametrize("hh, mm, text", [
    (0, 0, "午前0時"), (0, 30, "午前0時30分"), (9, 5, "午前9時5分"), (10, 30, "午前10時30分"),
    (11, 59, "午前11時59分"), (12, 0, "午後0時"), (12, 5, "午後0時5分"), (13, 0, "午後1時"),
    (23, 59, "午後11時59分"),
])
def test_time_ampm(hh: int, mm: int, text: str) -> None:
    assert wareki.time_ampm(dt.time(hh, mm)) == text


def test_wareki_datetime() -> None:
    assert wareki.wareki_datetime(dt.datetime(2021, 4, 1, 14, 30)) == "令和3年4月1日午後2時30分"
    assert wareki.wareki_datetime(dt.datetime(2019, 5, 1, 9, 0)) == "令和元年5月1日午前9時"
