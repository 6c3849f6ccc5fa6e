"""The contract's time (policies/contract.yaml): its periods, its end, and the fiscal years in force.

The contract runs by fiscal year (April to March) and is renewed yearly; "the contract end" is the end
of the last period, or the `end` written once it is known (None while renewed with no end decided).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saiken.core.policy import CONTRACT_FILE, check_contract, load_yaml
from saiken.wareki import fiscal_year, fiscal_year_label


def fy_end(year: int) -> dt.date:
    """The last day of fiscal year `year` (April to March)."""
    return dt.date(year + 1, 3, 31)


def fy_label(year: int) -> str:
    return f"{fiscal_year_label(year)}（{year}年度）"


@dataclass(frozen=True)
class Contract:
    start: dt.date | None
    end: dt.date | None  # None while renewed yearly with no end decided

    @classmethod
    def load(cls, root: Path) -> "Contract":
        return cls.from_data(load_yaml(root, CONTRACT_FILE, {}))

    @classmethod
    def from_data(cls, data: Any) -> "Contract":
        data = {} if data is None else data  # no policies/contract.yaml: no periods, no end
        check_contract(data)
        periods = data.get("periods") or []
        starts = [p["from"] for p in periods]
        end = data.get("end")
        if end is None and data.get("renewal") != "yearly":
            ends = [p["to"] for p in periods if isinstance(p.get("to"), dt.date)]
            end = max(ends) if ends else None
        return cls(min(starts) if starts else None, end)

    def fiscal_years(self, as_of: dt.date) -> list[int]:
        """Fiscal years of the contract up to `as_of` (or up to the end)."""
        if self.start is None:
            return []
        last = min(as_of, self.end) if self.end else as_of
        return list(range(fiscal_year(self.start), fiscal_year(last) + 1))

    def ended(self, as_of: dt.date) -> bool:
        return self.end is not None and as_of > self.end
