"""`saiken site build` in a repository made by `saiken demo`: no personal datum of its 20 fictional
cases appears in any output file, and the status page follows the checks and the ledger."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import VENV_BIN, _base_env
from saiken import wareki
from saiken.core import crypto
from saiken.core.records import Store


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


def personal_data(party: dict[str, Any]) -> set[str]:
    """What would identify this fictional person: full names (with and without a space, kanji and
    kana), address lines, registered domicile, phone, e-mail, birth date (ISO and wareki).
    Given names alone are left out: a staff member on the handlers page may share one."""
    name = party.get("name") or {}
    found = set()
    for family, given in ((name.get("family"), name.get("given")), (name.get("family_kana"), name.get("given_kana"))):
        if family and given:
            found |= {f"{family}{given}", f"{family} {given}", f"{family}　{given}"}
    address, contact = party.get("address") or {}, party.get("contact") or {}
    found |= {str(v) for v in (address.get("line"), address.get("registered_domicile"), contact.get("phone"),
                               contact.get("email")) if v}
    birth = party.get("birth_date")
    if isinstance(birth, dt.date):
        found |= {birth.isoformat(), wareki.wareki(birth)}
    return found


def site_texts(site: Path) -> list[tuple[Path, str]]:
    texts = []
    for path in site.rglob("*"):
        if path.is_file():
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            text = data.decode("utf-8", errors="replace")
            texts.append((path, text + (json.dumps(json.loads(text), ensure_ascii=False) if path.suffix == ".json" else "")))
    return texts


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    tmp = tmp_path_factory.mktemp("demo-site")
    env = _base_env(tmp)
    proc = _run([str(VENV_BIN / "saiken"), "demo", "demo"], tmp, env)
    assert proc.returncode == 0, proc.stderr
    root = tmp / "demo"
    ids = crypto.load_identities([root / ".identities" / "otsu-01.txt"])
    words: set[str] = set()
    for _, record in Store.open(root).iter_records(ids):
        for party in record.get("parties") or []:
            words |= personal_data(party)
    proc = _run([str(VENV_BIN / "saiken"), "site", "build"], root, env)
    assert proc.returncode == 0, proc.stderr
    return root / "site", words


def test_demo_site_has_no_personal_data(demo_site: tuple[Path, set[str]]) -> None:
    site, words = demo_site
    assert len(words) > 100, "the demo's 20 cases should give many names, addresses and phones to look for"
    texts = site_texts(site)
    assert any(p.name == "council.html" for p, _ in texts)
    hits = sorted({(str(p.relative_to(site)), w) for p, t in texts for w in words if w in t})
    assert hits == []


def _status(html: str, label: str) -> str:
    """The 状況 cell of the row whose first cell is `label` (a term number or a measure)."""
    row = re.search(rf"<tr>\s*<td>{re.escape(label)}</td>(.*?)</tr>", html, re.S)
    assert row, label
    return re.findall(r"<td>(.*?)</td>", row.group(1), re.S)[-1]


def test_demo_status_page(demo_site: tuple[Path, set[str]]) -> None:
    html = (demo_site[0] / "policy" / "special-terms.html").read_text(encoding="utf-8")
    assert re.search(r"求めた日時: 令和\d+年\d+月\d+日 \d\d:\d\d（コミット [0-9a-f]{7,}", html)
    for label in ("2", "8", "10", "13"):
        assert "問題なし" in _status(html, label), label
    assert "記録の中身の検査（<code>never_collect</code>、<code>prohibited</code>、<code>schema</code>）はここでは行っていません" in html


def test_a_violation_turns_its_terms_red(demo_site: tuple[Path, set[str]], tmp_path: Path) -> None:
    """A plaintext copy of a record under records/ and a contract that began a year earlier (so last
    year's training and audit are overdue): those terms turn red, naming neither file nor person."""
    site, words = demo_site
    root = tmp_path / "demo"
    shutil.copytree(site.parent, root, ignore=shutil.ignore_patterns("site"))
    name = sorted(w for w in words if " " in w and not w.isascii())[0]          # a fictional full name
    (root / "records" / "C-PLAIN001.yaml").write_text(f"# 架空\nname: {name}\n", encoding="utf-8")
    contract = root / "policies" / "contract.yaml"
    text = contract.read_text(encoding="utf-8")
    start = re.search(r"from: (\d{4})-04-01", text)
    assert start, text
    contract.write_text(text.replace(start.group(0), f"from: {int(start.group(1)) - 1}-04-01"), encoding="utf-8")
    env = _base_env(tmp_path)
    proc = _run([str(VENV_BIN / "saiken"), "site", "build"], root, env)
    assert proc.returncode == 0, proc.stderr
    html = (root / "site" / "policy" / "special-terms.html").read_text(encoding="utf-8")
    for label in ("2", "8"):
        assert "要対応" in _status(html, label) and "<code>plaintext</code> エラー 1件（records/）" in _status(html, label)
    last_year = wareki.fiscal_year_label(int(start.group(1)) - 1)
    assert "期限切れ: 従事者教育の実施記録" in _status(html, "18") and "要対応" in _status(html, "18")
    assert f"期限 {wareki.wareki(dt.date(int(start.group(1)), 3, 31))}" in _status(html, "16"), last_year
    assert "要対応" not in _status(html, "10")
    hits = sorted({(str(p.relative_to(root / "site")), w) for p, t in site_texts(root / "site")
                   for w in [*words, "C-PLAIN001"] if w in t})
    assert hits == []
