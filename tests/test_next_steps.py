"""After a command that changes the repository, saiken says the one line that commits it.

A commit is the record of a handover, and ledger/exports.yaml the trace of every document made:
neither may be left behind without a word. The line is run as printed, in a demo repository with its
real pre-commit hooks, and must leave nothing uncommitted; it never names a person.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import VENV_BIN, _base_env
from saiken.core import crypto
from saiken.core.records import Store
from saiken.core.layout import manifest_rel, record_rel

HINT = "次に、変更をコミットしてください（受渡しの記録になります）:\n  "


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("next-steps")
    env = _base_env(tmp)
    subprocess.run([str(VENV_BIN / "saiken"), "demo", "demo"], cwd=tmp, env=env, check=True, capture_output=True)
    root = tmp / "demo"
    key = root / ".identities" / "otsu-01.txt"
    records = dict(Store.open(root).iter_records(crypto.load_identities([key])))
    names = {str(v) for r in records.values() for p in r["parties"] for v in (p["name"] or {}).values()}
    return {"root": root, "env": {**env, "SAIKEN_IDENTITY": str(key)}, "case": sorted(records)[0], "names": names}


def run(demo: dict[str, Any], *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(VENV_BIN / "saiken"), *args], cwd=demo["root"], env={**demo["env"], **(env or {})},
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return proc


def commit_as_told(demo: dict[str, Any], proc: subprocess.CompletedProcess[str], *paths: str) -> str:
    """The printed line: it names exactly `paths`, no person, and once run leaves nothing behind."""
    assert HINT in proc.stderr, proc.stderr
    line = proc.stderr.split(HINT, 1)[1].splitlines()[0]
    assert line.startswith(f"git add {' '.join(paths)} && git commit -m "), line
    assert not [n for n in demo["names"] if n in line], line
    done = subprocess.run(["bash", "-c", line], cwd=demo["root"], env=demo["env"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    status = subprocess.run(["git", "status", "--porcelain"], cwd=demo["root"], capture_output=True, text=True)
    assert status.stdout == "", status.stdout
    return line


def record(demo: dict[str, Any]) -> tuple[str, str]:
    return record_rel(demo['case']), manifest_rel(demo['case'])


def test_case_log(demo: dict[str, Any]) -> None:
    proc = run(demo, "case", "log", demo["case"], "--kind", "電話", "--note", "架空の通話（テスト）")
    line = commit_as_told(demo, proc, *record(demo))
    assert line.endswith(f"'{demo['case']} 交渉の経過（電話）'")


def test_case_pay(demo: dict[str, Any]) -> None:
    proc = run(demo, "case", "pay", demo["case"], "--date", dt.date.today().isoformat(), "--amount", "1000")
    assert commit_as_told(demo, proc, *record(demo)).endswith(f"'{demo['case']} 入金'")


def test_case_edit(demo: dict[str, Any], tmp_path: Path) -> None:
    before = run(demo, "case", "show", demo["case"]).stdout
    status = "督促中" if "\nstatus: 交渉中\n" in before else "交渉中"
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\nsed -i 's/^status: .*/status: {status}/' \"$1\"\n", encoding="utf-8")
    editor.chmod(0o755)
    proc = run(demo, "case", "edit", demo["case"], env={"EDITOR": str(editor)})
    assert commit_as_told(demo, proc, *record(demo)).endswith(f"'{demo['case']} の記録を更新'")


def test_doc_leaves_no_untracked_export_log(demo: dict[str, Any]) -> None:
    assert not (demo["root"] / "ledger" / "exports.yaml").exists()
    proc = run(demo, "doc", "督促状", demo["case"])
    line = commit_as_told(demo, proc, "ledger/exports.yaml")       # the first document makes the file
    assert line.endswith(f"'{demo['case']} 督促状の出力を記録'")
    proc = run(demo, "doc", "交渉記録報告書", demo["case"])
    commit_as_told(demo, proc, "ledger/exports.yaml")


def test_case_new(demo: dict[str, Any]) -> None:
    text = run(demo, "case", "show", demo["case"]).stdout
    text = re.sub(r"^case_id: .*\n", "", text, flags=re.M)
    proc = subprocess.run([str(VENV_BIN / "saiken"), "case", "new", "--id", "C-NEXT0001", "--from", "-"],
                          cwd=demo["root"], env=demo["env"], input=text, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "C-NEXT0001\n"   # stdout stays the id alone, for scripts
    line = commit_as_told(demo, proc, record_rel("C-NEXT0001"), manifest_rel("C-NEXT0001"))
    assert line.endswith("'C-NEXT0001 の記録を作成'")


def test_nothing_is_said_outside_a_change(demo: dict[str, Any]) -> None:
    proc = run(demo, "case", "show", demo["case"])
    assert HINT not in proc.stderr
