"""Three-way structural merge of decrypted records (plain YAML data: dicts, lists, scalars).

Used by the git merge driver. The rules, in the order they apply at every node:
  - both sides equal, or only one side changed the base: take that side;
  - mappings: merge key by key (a key deleted on one side and unchanged on the other is deleted;
    deleted on one side and changed on the other is a conflict);
  - lists (history, payments, parties …): align each side with the base, item by item; items
    inserted on both sides at the same place are all kept, ours first, an item both sides inserted
    identically only once; deletions are respected; an item changed on both sides is merged
    recursively;
  - anything else changed differently on both sides is a conflict, reported by its field path
    (`history[3].note`) – never by its value, which may be personal data.

List items are matched across versions by equality first; an item that was edited is recognised
as "the same item" when it is a mapping with the same `id`, or (without ids) when at least half of
its fields are unchanged. Anything less similar counts as a deletion plus an insertion, so an edit
that cannot be placed safely becomes a conflict rather than a silent mis-merge.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
SIMILARITY = 0.5


def key(value: Any) -> str:
    """A canonical text for equality: order-insensitive for mappings, exact about types."""
    def default(o: Any) -> Any:
        if isinstance(o, dt.datetime):
            return "datetime:" + o.isoformat()
        if isinstance(o, dt.date):
            return "date:" + o.isoformat()
        return f"{type(o).__name__}:{o}"
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=default)


def same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return key(a) == key(b)


def similar(a: Any, b: Any) -> bool:
    """Whether b can be taken as an edited version of list item a."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    if "id" in a and "id" in b:
        return same(a["id"], b["id"])
    names = set(a) | set(b)
    if not names:
        return True
    kept = sum(1 for n in names if n in a and n in b and same(a[n], b[n]))
    return kept / len(names) >= SIMILARITY


@dataclass
class Alignment:
    """How one side's list relates to the base list."""

    pairs: list[int | None]  # for each base item: the side's index of it (maybe edited), or None
    inserts: dict[int, list[int]] = field(default_factory=dict)  # gap (before base item g) -> side indices

    def insert(self, gap: int, j: int) -> None:
        self.inserts.setdefault(gap, []).append(j)


def align(base: list[Any], side: list[Any]) -> Alignment:
    out = Alignment([None] * len(base))
    matcher = SequenceMatcher(None, [key(x) for x in base], [key(x) for x in side], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                out.pairs[i1 + k] = j1 + k
        elif op == "insert":
            for j in range(j1, j2):
                out.insert(i1, j)
        elif op == "replace":
            _align_replaced(base, side, out, i1, i2, j1, j2)
        # "delete": the base items stay unpaired
    return out


def _align_replaced(base: list[Any], side: list[Any], out: Alignment, i: int, i2: int, j: int, j2: int) -> None:
    while i < i2 and j < j2:
        if similar(base[i], side[j]):
            out.pairs[i] = j
            i, j = i + 1, j + 1
        elif any(similar(base[i], side[k]) for k in range(j + 1, j2)):
            out.insert(i, j)  # side[j] is new; base[i] turns up further on
            j += 1
        else:
            i += 1  # base[i] was deleted (or changed beyond recognition)
    for k in range(j, j2):
        out.insert(i2, k)


def merge(base: Any, ours: Any, theirs: Any) -> tuple[Any, list[str]]:
    """Merge three versions; returns the result and the field paths that conflict."""
    conflicts: list[str] = []
    result = _merge(base, ours, theirs, "", conflicts)
    return result, conflicts


def _merge(b: Any, o: Any, t: Any, path: str, conflicts: list[str]) -> Any:
    if same(o, t):
        return o
    if same(b, o):
        return t
    if same(b, t):
        return o
    empty_base = b is MISSING or b is None
    if isinstance(o, dict) and isinstance(t, dict) and (empty_base or isinstance(b, dict)):
        return _merge_map(b if isinstance(b, dict) else {}, o, t, path, conflicts)
    if isinstance(o, list) and isinstance(t, list) and (empty_base or isinstance(b, list)):
        return _merge_list(b if isinstance(b, list) else None, o, t, path, conflicts)
    conflicts.append(path or "（記録全体）")
    return o


def _merge_map(b: dict[str, Any], o: dict[str, Any], t: dict[str, Any], path: str,
               conflicts: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in [*o, *(k for k in t if k not in o)]:
        sub = f"{path}.{k}" if path else str(k)
        value = _merge(b.get(k, MISSING), o.get(k, MISSING), t.get(k, MISSING), sub, conflicts)
        if value is not MISSING:
            out[k] = value
    return out


def _common(o: list[Any], t: list[Any]) -> list[Any]:
    """Without a base (both sides added the record), the items both sides share act as one."""
    matcher = SequenceMatcher(None, [key(x) for x in o], [key(x) for x in t], autojunk=False)
    return [o[m.a + k] for m in matcher.get_matching_blocks() for k in range(m.size)]


def _merge_list(b: list[Any] | None, o: list[Any], t: list[Any], path: str, conflicts: list[str]) -> list[Any]:
    base = _common(o, t) if b is None else b
    ao, at = align(base, o), align(base, t)
    out: list[Any] = []
    for g in range(len(base) + 1):
        added_o = [o[j] for j in ao.inserts.get(g, [])]
        added_t = [t[j] for j in at.inserts.get(g, [])]
        out.extend(added_o)
        out.extend(x for x in added_t if not any(same(x, y) for y in added_o))
        if g == len(base):
            break
        jo, jt = ao.pairs[g], at.pairs[g]
        sub = f"{path}[{jo if jo is not None else g}]"
        if jo is None and jt is None:
            continue
        if jo is None or jt is None:
            kept = t[jt] if jo is None else o[jo]  # type: ignore[index]
            if not same(base[g], kept):
                conflicts.append(sub)  # deleted on one side, changed on the other
            continue
        out.append(_merge(base[g], o[jo], t[jt], sub, conflicts))
    return out
