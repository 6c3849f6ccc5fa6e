"""The structural three-way merge behind the git merge driver (plain data, no values in conflicts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from saiken.git.merge3 import MISSING, merge

H1 = {"at": dt.datetime(2021, 5, 10, 10), "kind": "電話", "by": "otsu-01", "note": "相談"}
H2 = {"at": dt.datetime(2021, 6, 1, 10), "kind": "面談", "by": "otsu-01"}
H3 = {"at": dt.datetime(2021, 6, 2, 9), "kind": "督促状送付", "by": "otsu-01"}
BASE = {"status": "督促中", "contact": {"phone": "03-0000-0001"}, "history": [H1]}

CASES: list[tuple[str, Any, Any, Any, Any, list[str]]] = [
    ("only theirs changed", BASE, BASE, {**BASE, "status": "交渉中"}, {**BASE, "status": "交渉中"}, []),
    ("different fields", BASE, {**BASE, "status": "交渉中"}, {**BASE, "contact": {"phone": "03-0000-0009"}},
     {**BASE, "status": "交渉中", "contact": {"phone": "03-0000-0009"}}, []),
    ("same scalar, different values", BASE, {**BASE, "status": "交渉中"}, {**BASE, "status": "分納中"}, None, ["status"]),
    ("same change on both sides", BASE, {**BASE, "status": "完済"}, {**BASE, "status": "完済"}, {**BASE, "status": "完済"}, []),
    ("appended on both sides, ours first", BASE, {**BASE, "history": [H1, H2]}, {**BASE, "history": [H1, H3]},
     {**BASE, "history": [H1, H2, H3]}, []),
    ("identical append kept once", BASE, {**BASE, "history": [H1, H2]}, {**BASE, "history": [H1, H2]},
     {**BASE, "history": [H1, H2]}, []),
    ("deletion respected", {**BASE, "history": [H1, H2]}, {**BASE, "history": [H1]},
     {**BASE, "history": [H1, H2, H3]}, {**BASE, "history": [H1, H3]}, []),
    ("edited item and append", BASE, {**BASE, "history": [{**H1, "note": "相談（再）"}]}, {**BASE, "history": [H1, H2]},
     {**BASE, "history": [{**H1, "note": "相談（再）"}, H2]}, []),
    ("deleted vs edited item", BASE, {**BASE, "history": []}, {**BASE, "history": [{**H1, "note": "x"}]}, None,
     ["history[0]"]),
    ("key deleted vs changed", BASE, {k: v for k, v in BASE.items() if k != "contact"},
     {**BASE, "contact": {"phone": "03-1111-1111"}}, None, ["contact"]),
    ("key deleted, other side untouched", BASE, {k: v for k, v in BASE.items() if k != "contact"}, BASE,
     {k: v for k, v in BASE.items() if k != "contact"}, []),
    ("same item edited in two fields", BASE, {**BASE, "history": [{**H1, "note": "a"}]},
     {**BASE, "history": [{**H1, "kind": "面談"}]}, {**BASE, "history": [{**H1, "note": "a", "kind": "面談"}]}, []),
    ("same item field edited twice", BASE, {**BASE, "history": [{**H1, "note": "a"}]},
     {**BASE, "history": [{**H1, "note": "b"}]}, None, ["history[0].note"]),
    ("no base: shared items once", MISSING, {**BASE, "history": [H1, H2]}, {**BASE, "history": [H1, H3]},
     {**BASE, "history": [H1, H2, H3]}, []),
    ("parties matched by id", {"parties": [{"id": "p1", "a": 1}, {"id": "p2", "a": 2}]},
     {"parties": [{"id": "p1", "a": 5}, {"id": "p2", "a": 2}]}, {"parties": [{"id": "p2", "a": 7}]}, None,
     ["parties[0]"]),
    ("true is not 1", {"x": 1}, {"x": True}, {"x": 1}, {"x": True}, []),
]


@pytest.mark.parametrize("name,base,ours,theirs,expected,conflicts", CASES, ids=[c[0] for c in CASES])
def test_merge(name: str, base: Any, ours: Any, theirs: Any, expected: Any, conflicts: list[str]) -> None:
    result, found = merge(base, ours, theirs)
    assert found == conflicts
    if expected is not None:
        assert result == expected


def test_conflict_paths_never_carry_values() -> None:
    _, found = merge(BASE, {**BASE, "status": "交渉中"}, {**BASE, "status": "分納中"})
    assert not any("交渉中" in p or "分納中" in p for p in found)
