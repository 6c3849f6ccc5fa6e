"""`saiken site build` in a repository made by `saiken demo`: no personal datum of its 20 fictional
cases appears in any output file."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import VENV_BIN, _base_env
from saiken import crypto, wareki
from saiken.records import Store


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
    texts = []
    for path in site.rglob("*"):
        if path.is_file():
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            text = data.decode("utf-8", errors="replace")
            texts.append((path, text + (json.dumps(json.loads(text), ensure_ascii=False) if path.suffix == ".json" else "")))
    assert any(p.name == "council.html" for p, _ in texts)
    hits = sorted({(str(p.relative_to(site)), w) for p, t in texts for w in words if w in t})
    assert hits == []
