"""policies/special-terms.yaml holds every special term and protective measure of the seed, word for
word, each mapped to checks, ledger evidence or the contract alone; check ids agree with the registry.

The seed is parsed here, independently of the policy file. The only normalisation is whitespace that
the seed's layout introduces, and it is spelled out:
  * the list markers in front of a term ("- 1 ", "10 ") and an item (" - (1) ") are layout;
  * the measures sit in table cells, where the original paragraphs are flattened into one line with
    spaces and wrapped in HTML tags (<p>, <ol ...>): tags are removed and each run of whitespace
    (space, tab, newline) becomes one space, both in the seed and in the policy file.
A run of whitespace never disappears, so a dropped space ("CD-R 等" → "CD-R等") fails the test, as
does any change of a character.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import SEED_FILE
from saiken.checks import registry

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "special-terms.yaml"
DUE = {"fiscal-year", "contract-end", "on-event", "on-change", "on-request"}


SEED = SEED_FILE.read_text(encoding="utf-8")


def layout_ws(text: str) -> str:
    """Collapse each run of layout whitespace into one space; strip the ends."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def seed_terms() -> list[dict]:
    body = SEED.split("\n特記事項\n", 1)[1]
    heading, terms = None, []
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        if m := re.fullmatch(r"\((.+)\)", line):
            heading = m.group(1)
        elif m := re.fullmatch(r"(?:- )?(\d{1,2}) (.+)", line):
            terms.append({"number": int(m.group(1)), "heading": heading, "text": m.group(2), "items": []})
        elif m := re.fullmatch(r"- \((\d)\) (.+)", line):
            terms[-1]["items"].append({"number": int(m.group(1)), "text": m.group(2)})
        else:
            raise AssertionError(f"unexpected line in the seed's 特記事項: {line!r}")
    return terms


def _cell(label: str) -> str:
    for line in SEED.splitlines():
        if line.startswith(label + "\t"):
            return layout_ws(re.sub(r"<[^>]+>", " ", line.split("\t", 1)[1]))
    raise AssertionError(f"row {label!r} not in the seed")


def _numbered(text: str) -> list[str]:
    """'1 a 2 b 3 c' → ['a', 'b', 'c']: split at the next expected number only."""
    assert text.startswith("1 "), text[:20]
    items, rest, n = [], text[2:], 1
    while (at := rest.find(f" {n + 1} ")) >= 0:
        items.append(rest[:at].strip())
        rest, n = rest[at + len(f" {n + 1} "):], n + 1
    return [*items, rest.strip()]


def seed_measures() -> dict[str, str]:
    out = {}
    for party, label in (("ward", "委託にあたり区が行う情報保護対策"), ("contractor", "<p>受託事業者に行わせる情報保護対策</p>")):
        operational, system = _cell(label).split("【運用上の対策】", 1)[1].split("【システム上の対策】")
        for kind, part in (("operational", operational), ("system", system)):
            for n, text in enumerate(_numbered(layout_ws(part)), 1):
                out[f"{party}-{kind}-{n}"] = text
    return out


@pytest.fixture(scope="module")
def policy() -> dict:
    return yaml.safe_load(POLICY.read_text(encoding="utf-8"))


def test_seed_parser_finds_the_whole_contract() -> None:
    terms = seed_terms()
    assert [t["number"] for t in terms] == list(range(1, 22))
    assert [i["number"] for i in terms[4]["items"]] == [1, 2, 3, 4]
    assert terms[10]["heading"] == terms[11]["heading"] == "資料等の返還等"
    assert {terms[n]["heading"] for n in (14, 15, 16)} == {"監査等"}
    measures = seed_measures()
    assert sorted(measures) == sorted(
        [f"ward-operational-{n}" for n in (1, 2)] + ["ward-system-1"]
        + [f"contractor-{k}-{n}" for k in ("operational", "system") for n in range(1, 6)])
    assert measures["contractor-operational-4"].startswith("個人情報を記録した媒体（CD-R 等）")


def test_every_term_is_verbatim(policy: dict) -> None:
    got = {t["number"]: t for t in policy["terms"]}
    assert sorted(got) == list(range(1, 22))
    for want in seed_terms():
        term = got[want["number"]]
        assert term["heading"] == want["heading"], want["number"]
        assert layout_ws(term["text"]) == layout_ws(want["text"]), f"特記事項{want['number']}"
        items = [{"number": i["number"], "text": layout_ws(i["text"])} for i in term.get("items") or []]
        assert items == [{"number": i["number"], "text": layout_ws(i["text"])} for i in want["items"]]


def test_every_measure_is_verbatim(policy: dict) -> None:
    got = {m["id"]: m for m in policy["measures"]}
    want = seed_measures()
    assert sorted(got) == sorted(want)
    for mid, text in want.items():
        m = got[mid]
        assert layout_ws(m["text"]) == text, mid
        assert m["party"] == ("甲" if mid.startswith("ward") else "乙")
        assert (m["kind"], m["number"]) == (mid.split("-")[1], int(mid.split("-")[2]))


def test_a_changed_character_or_dropped_space_is_caught() -> None:
    want = seed_measures()["contractor-operational-4"]
    assert layout_ws(want.replace("CD-R 等", "CD-R等")) != want
    assert layout_ws(want.replace("返還", "返却")) != want


def _entries(policy: dict) -> list[tuple[str, dict]]:
    return [(f"特記事項{t['number']}", t) for t in policy["terms"]] + [(m["id"], m) for m in policy["measures"]]


def test_every_entry_says_how_it_is_upheld(policy: dict) -> None:
    ledger_files = set(policy["ledger_files"])
    for name, entry in _entries(policy):
        ways = [bool(entry.get("checks")), bool(entry.get("evidence")), entry.get("contract-only") is True]
        assert any(ways), f"{name}: no checks, evidence or contract-only"
        if entry.get("contract-only"):
            assert not entry.get("checks") and not entry.get("evidence"), name
        for ev in entry.get("evidence") or []:
            assert ev["due"] in DUE, name
            assert ev["what"], name
            assert ev["file"] in ledger_files or ev["file"] == "policies/handlers.yaml", (name, ev["file"])
    contract_only = [t["number"] for t in policy["terms"] if t.get("contract-only")]
    assert contract_only == [20, 21]


def test_required_ledger_files_are_defined(policy: dict) -> None:
    for name in ("trainings", "audits", "erasures", "incidents", "consents", "media"):
        assert f"ledger/{name}.yaml" in policy["ledger_files"]
    for fields in (f["fields"] for f in policy["ledger_files"].values()):
        assert fields and all(isinstance(v, str) for v in fields.values())


def test_check_ids_and_registry_agree(policy: dict) -> None:
    checks = registry()
    named = {c for _, e in _entries(policy) for c in e.get("checks") or []}
    assert named <= set(checks), f"unknown check ids in policies: {named - set(checks)}"
    assert set(checks) <= named, f"checks not named in policies: {set(checks) - named}"
    by_term = {t["number"]: set(t.get("checks") or []) for t in policy["terms"]}
    for cid, module in checks.items():
        assert module.TERMS, cid
        assert module.ID == cid
        for n in module.TERMS:
            assert cid in by_term[n], f"{cid} enforces 特記事項{n} but policies do not say so"
    for n, ids in by_term.items():
        for cid in ids:
            assert n in checks[cid].TERMS, f"特記事項{n} names {cid}, which does not enforce it"


def test_policy_comments_are_japanese_for_staff() -> None:
    head = POLICY.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert head.startswith("# 特記事項")
    assert "一字一句" in head and "saiken check" in head


def test_no_test_reads_outside_the_repository() -> None:
    """The suite passes from a plain clone: what it needs from outside is vendored under tests/data/."""
    here = Path(__file__).resolve().parent
    for path in here.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ('"shared"', "../shared", "ROOT.parent", "parent.parent.parent"):
            assert needle not in text or path.name == "test_special_terms.py", (path.name, needle)
