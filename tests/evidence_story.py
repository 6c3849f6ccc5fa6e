"""A records repository for the evidence tests: three handlers designated 2021-04-01 (two of 乙,
one of 甲), three fictional cases committed, the seed's fiscal year as the contract."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader

from conftest import FIXTURES, ROOT, RecordsRepo, _base_env
from saiken.core import crypto

CASES = ("C-TEST0001", "C-TEST0002", "C-TEST0003")
CONTRACT = """\
ward: {name: 新宿区, head: 新宿区長}
contractor: {name: （架空の法律事務所）}
periods:
  - {from: 2021-04-01, to: 2022-03-31}
renewal: yearly
end: null
"""
# Words of the fictional record that must never reach ledger/.
PERSONAL = ("一郎", "花子", "カクウ", "架空町", "03-0000-0001", "ichiro@", "160-0000")


def add_handler(repo: RecordsRepo, handler_id: str, org: str, role: str) -> Path:
    path = repo.root.parent / f"{handler_id}.key"
    secret, public = crypto.generate_identity()
    path.write_text(crypto.identity_file_text(secret, public, "test"))
    path.chmod(0o600)
    repo.saiken("handler", "add", "--id", handler_id, "--name", f"架空 {handler_id}", "--org", org, "--role", role,
                "--key", public, "--designated", "2021-04-01", check=True)
    repo.handlers[handler_id] = (path, public)
    return path


def make_repo(tmp: Path) -> RecordsRepo:
    root = tmp / "repo"
    (root / "policies").mkdir(parents=True)
    for name in ("handlers.yaml", "information-items.yaml", "incidents.yaml", "prohibited-categories.yaml"):
        shutil.copy(ROOT / "policies" / name, root / "policies" / name)
    (root / "policies" / "contract.yaml").write_text(CONTRACT, encoding="utf-8")
    shutil.copytree(ROOT / "policies" / "templates", root / "policies" / "templates")
    env = _base_env(tmp)
    repo = RecordsRepo(root, env, Path(), "")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=env)
    repo.identity = add_handler(repo, "otsu-01", "乙", "取扱責任者")
    repo.env["SAIKEN_IDENTITY"] = str(repo.identity)
    add_handler(repo, "otsu-02", "乙", "取扱者")
    add_handler(repo, "kou-01", "甲", "取扱責任者")
    text = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8")
    for cid in CASES:
        repo.saiken("case", "new", "--from", "-", input=text.replace("C-TEST0001", cid), check=True)
    repo.git("add", "-A")
    when = {"GIT_AUTHOR_DATE": "2021-04-02T10:00:00+09:00", "GIT_COMMITTER_DATE": "2021-04-02T10:00:00+09:00"}
    subprocess.run(["git", "commit", "-qm", "記録を登録"], cwd=root, check=True, env={**repo.env, **when})
    return repo


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def ledger_text(root: Path) -> str:
    """Every file under ledger/ as text (PDFs through a PDF reader)."""
    files = sorted(p for p in (root / "ledger").rglob("*") if p.is_file())
    return "\n".join(pdf_text(p) if p.suffix == ".pdf" else p.read_text(encoding="utf-8") for p in files)


def set_contract_end(repo: RecordsRepo, end: str) -> None:
    path = repo.root / "policies" / "contract.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("end: null", f"end: {end}"), encoding="utf-8")
