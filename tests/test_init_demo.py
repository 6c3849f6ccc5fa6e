"""saiken init / saiken demo: a complete records repository, from a checkout and from a wheel.

Real git, real age keys (pyrage), the real console script; every person in the demo is fictional.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from saiken.core import crypto, policy
from saiken.core.records import Store
from saiken.scaffold import skeleton
from saiken.core.layout import bucket, folder_bucket, manifest_rel, record_rel

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
AS_OF = "2025-06-30"
HANDLER_IDS = ("kou-01", "otsu-01", "otsu-02")


def clean_env(tmp: Path) -> dict[str, str]:
    """A user with no git identity and no saiken settings: what a fresh machine has."""
    # CI (set when this suite runs in CI) makes findings hide the record's text: a test sets it itself
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAIKEN_", "GIT_")) and k != "CI"}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1",
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", "LANG": "C.UTF-8", "EDITOR": "false"})
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def saiken(*args: str, cwd: Path, env: dict[str, str], bin_dir: Path = VENV_BIN) -> subprocess.CompletedProcess[str]:
    return run([str(bin_dir / "saiken"), *args], cwd, env)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


# --- init -----------------------------------------------------------------------------------------

def assert_records_repo(root: Path) -> None:
    for rel in ("policies/handlers.yaml", "policies/information-items.yaml", "policies/contract.yaml",
                "docs/index.md", "mkdocs.yml", ".gitignore", ".gitattributes", "records/.gitkeep",
                "ledger/.gitkeep", ".git"):
        assert (root / rel).exists(), rel
    ignored = (root / ".gitignore").read_text(encoding="utf-8").split()
    for rule in (".identities/", "site/", "out/", ".saiken-cache/", ".saiken/"):  # documents, caches, local logs
        assert rule in ignored
    assert policy.load_handlers(root) == []
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_init_creates_a_complete_records_repository(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    res = saiken("init", "new-repo", cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    assert "記録リポジトリを作成しました" in res.stdout
    root = tmp_path / "new-repo"
    assert_records_repo(root)
    # everything this repository ships is there, nothing more under policies/
    shipped = sorted(p.relative_to(ROOT / "policies") for p in (ROOT / "policies").rglob("*") if p.is_file())
    copied = sorted(p.relative_to(root / "policies") for p in (root / "policies").rglob("*") if p.is_file())
    assert copied == shipped
    for name in (".pre-commit-config.yaml", ".pre-commit-hooks.yaml"):
        assert (root / name).exists() == (ROOT / name).exists(), name
    # one commit, made without any git identity configured on the machine
    log = git(root, "log", "--format=%an <%ae>|%s").splitlines()
    assert len(log) == 1 and log[0].startswith("saiken init <init@saiken.invalid>|")
    assert "policies/handlers.yaml" in git(root, "ls-files")


def test_init_starts_with_no_handlers_even_if_the_source_has_some(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "policies", src / "policies")
    (src / "pyproject.toml").write_text("")
    secret, public = crypto.generate_identity()
    (src / "policies" / "handlers.yaml").write_text(
        "# 取扱者\nhandlers:\n  - {id: otsu-09, name: 架空 九郎, organisation: 乙, role: 取扱者, "
        f"public_key: {public}, designated: 2021-04-01}}\n", encoding="utf-8")
    monkeypatch.setattr(skeleton, "_CHECKOUT", src)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = skeleton.create(tmp_path / "out")
    assert policy.load_handlers(root) == []
    assert (root / "policies" / "handlers.yaml").read_text(encoding="utf-8").startswith("# 取扱者")


def test_init_into_an_existing_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    res = saiken("init", "empty", cwd=tmp_path, env=clean_env(tmp_path))
    assert res.returncode == 0, res.stderr
    assert_records_repo(tmp_path / "empty")


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "memo.txt").write_text("既存のファイル")
    res = saiken("init", str(target), cwd=tmp_path, env=clean_env(tmp_path))
    assert res.returncode != 0
    assert "フォルダが空ではありません" in res.stderr and str(target) in res.stderr
    assert "Traceback" not in res.stderr
    assert sorted(p.name for p in target.iterdir()) == ["memo.txt"]


def test_init_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    res = saiken("init", "a-file", cwd=tmp_path, env=clean_env(tmp_path))
    assert res.returncode != 0 and "同じ名前のファイルがある" in res.stderr


def test_editable_install_reads_the_checkout() -> None:
    assert skeleton.source_root() == ROOT


# --- demo -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("demo")
    env = clean_env(tmp)
    res = saiken("demo", "saiken-demo", "--as-of", AS_OF, cwd=tmp, env=env)
    assert res.returncode == 0, res.stderr
    root = tmp / "saiken-demo"
    return {"root": root, "env": env, "stdout": res.stdout, "records": decrypt_all(root, "otsu-01")}


def decrypt_all(root: Path, handler_id: str) -> dict[str, dict[str, Any]]:
    store = Store.open(root)
    ids = crypto.load_identities([root / ".identities" / f"{handler_id}.txt"])
    return {cid: {"data": data, "text": store.decrypt(cid, ids)} for cid, data in store.iter_records(ids)}


def as_handler(demo: dict[str, Any], handler_id: str) -> dict[str, str]:
    return {**demo["env"], "SAIKEN_IDENTITY": str(demo["root"] / ".identities" / f"{handler_id}.txt")}


def test_demo_prints_what_to_try_next(demo: dict[str, Any]) -> None:
    out = demo["stdout"]
    assert "次に試すこと" in out
    for line in (f"export SAIKEN_IDENTITY={demo['root']}/.identities/otsu-01.txt", "saiken case list",
                 "saiken case show C-", "saiken case edit C-", "git log -p records/"):
        assert line in out


def test_demo_has_twenty_encrypted_records_committed(demo: dict[str, Any]) -> None:
    root = demo["root"]
    files = sorted((root / "records").glob("*/*/*.yaml.age"))
    assert all(folder_bucket(f.parent) == bucket(f.name[: -len(".yaml.age")]) for f in files)
    assert len(files) == 20
    assert all(f.read_bytes().startswith(b"age-encryption.org/v1\n") for f in files)
    tracked = [p for p in git(root, "ls-files", "records").split() if p.endswith(".yaml.age")]
    assert len(tracked) == 20
    assert git(root, "status", "--porcelain") == ""
    assert_records_repo_layout_kept(root)


def assert_records_repo_layout_kept(root: Path) -> None:
    for rel in ("docs/index.md", "mkdocs.yml", "ledger/.gitkeep", ".gitattributes"):
        assert (root / rel).exists(), rel


@pytest.mark.parametrize("handler_id", HANDLER_IDS)
def test_every_demo_handler_lists_the_twenty_cases(demo: dict[str, Any], handler_id: str) -> None:
    res = saiken("case", "list", "--format", "json", cwd=demo["root"], env=as_handler(demo, handler_id))
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert sorted(r["case_id"] for r in rows) == sorted(demo["records"])
    table = saiken("case", "list", cwd=demo["root"], env=as_handler(demo, handler_id))
    assert "計 20 件" in table.stdout


@pytest.mark.parametrize("handler_id", HANDLER_IDS)
def test_every_demo_handler_proves_the_recipients_of_every_record(demo: dict[str, Any], handler_id: str) -> None:
    res = saiken("recipients", "--verify", cwd=demo["root"], env=as_handler(demo, handler_id))
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("\t証明済み") == 20 and "計 20 件、一致 20 件" in res.stdout


def test_kou_01_opens_a_record(demo: dict[str, Any]) -> None:
    case_id = sorted(demo["records"])[0]
    res = saiken("case", "show", case_id, cwd=demo["root"], env=as_handler(demo, "kou-01"))
    assert res.returncode == 0, res.stderr
    assert res.stdout == demo["records"][case_id]["text"]


def test_demo_handlers_are_fictional_and_designated(demo: dict[str, Any]) -> None:
    handlers = {h.id: h for h in policy.load_handlers(demo["root"])}
    assert sorted(handlers) == sorted(HANDLER_IDS)
    assert (handlers["kou-01"].organisation, handlers["kou-01"].role) == ("甲", "取扱責任者")
    assert (handlers["otsu-01"].organisation, handlers["otsu-01"].role) == ("乙", "取扱責任者")
    assert (handlers["otsu-02"].organisation, handlers["otsu-02"].role) == ("乙", "取扱者")
    for h in handlers.values():
        assert h.active and h.email == f"{h.id}@example.invalid"
        assert "架空" in h.name and "デモ" in h.name
        assert h.designated == dt.date(2025, 4, 1)
    assert "&" not in (demo["root"] / "policies" / "handlers.yaml").read_text(encoding="utf-8")


def test_identities_are_private_and_untracked(demo: dict[str, Any]) -> None:
    root = demo["root"]
    folder = root / ".identities"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for hid in HANDLER_IDS:
        path = folder / f"{hid}.txt"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=root).returncode == 0
    assert git(root, "ls-files", ".identities") == ""
    objects = git(root, "cat-file", "--batch-all-objects", "--batch-check")
    # A real secret key (the docs may name the prefix when they explain what not to share).
    assert not re.search(r"AGE-SECRET-KEY-[1][0-9A-Z]{50,}", all_git_bytes(root).decode("utf-8", "replace"))
    assert objects  # the repository is not empty


def test_demo_commits_are_by_otsu_01_and_name_no_one(demo: dict[str, Any]) -> None:
    root = demo["root"]
    log = git(root, "log", "--format=%ae|%s").splitlines()
    assert len(log) == 4
    assert all(line.startswith("otsu-01@example.invalid|") for line in log[:3])
    assert git(root, "config", "user.email").strip() == "otsu-01@example.invalid"


def test_every_record_is_marked_fictional_and_valid(demo: dict[str, Any]) -> None:
    store = Store.open(demo["root"])
    for cid, rec in demo["records"].items():
        assert rec["text"].startswith("# 架空の人物です（デモ用）\n")
        store.parse(rec["text"], where=cid)  # raises on any schema problem
        assert "&" not in rec["text"] and "*id" not in rec["text"]


def test_demo_cases_make_sense_on_the_as_of_date(demo: dict[str, Any]) -> None:
    as_of = dt.date.fromisoformat(AS_OF)
    records = [r["data"] for r in demo["records"].values()]
    contracts = [r["claim"]["contract_date"] for r in records]
    assert any(c < dt.date(2020, 4, 1) for c in contracts) and any(c >= dt.date(2020, 4, 1) for c in contracts)
    for r in records:
        claim = r["claim"]
        assert claim["contract_date"] < claim["repayment"]["first_due"] < as_of
        assert all(p["date"] <= as_of for p in claim.get("payments", []))
        assert all(str(h["at"]) <= AS_OF + " 23:59" for h in r.get("history", []))
        assert sum(p["amount"] for p in claim.get("payments", [])) <= claim["principal"]
    roles = [p["role"] for r in records for p in r["parties"]]
    assert "guarantor" in roles and "heir" in roles
    heirs = [(r, p) for r in records for p in r["parties"] if p["role"] == "heir"]
    for r, heir in heirs:
        deceased = next(p for p in r["parties"] if p["id"] == heir["heir_of"])
        assert deceased["role"] == "guarantor" and deceased["deceased_on"] < as_of
    kinds = [h["kind"] for r in records for h in r.get("history", [])]
    assert {"督促状送付", "電話", "合意"} <= set(kinds)
    assert any(h["kind"] == "電話" and h.get("acknowledged") for r in records for h in r.get("history", []))
    assert any(r["claim"].get("payments") for r in records)


def test_demo_is_reproducible_from_its_seed(demo: dict[str, Any], tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    again = saiken("demo", "again", "--as-of", AS_OF, cwd=tmp_path, env=env)
    other = saiken("demo", "other", "--as-of", AS_OF, "--seed", "7", cwd=tmp_path, env=env)
    assert again.returncode == 0 and other.returncode == 0, again.stderr + other.stderr
    texts = {cid: r["text"] for cid, r in decrypt_all(tmp_path / "again", "otsu-02").items()}
    assert texts == {cid: r["text"] for cid, r in demo["records"].items()}
    assert set(decrypt_all(tmp_path / "other", "otsu-02")) != set(texts)


def test_demo_refuses_a_non_empty_folder(demo: dict[str, Any]) -> None:
    res = saiken("demo", str(demo["root"]), cwd=demo["root"].parent, env=demo["env"])
    assert res.returncode != 0 and "フォルダが空ではありません" in res.stderr
    assert len(list((demo["root"] / "records").glob("*/*/*.age"))) == 20


# --- no plaintext personal data anywhere git keeps ----------------------------------------------------

def personal_strings(records: dict[str, dict[str, Any]]) -> set[str]:
    """Every name, kana, address, phone and e-mail of every party in the decrypted records."""
    found: set[str] = set()
    for rec in records.values():
        for p in rec["data"]["parties"]:
            n = p["name"]
            found |= {n["family"] + n.get("given", ""), f"{n['family']} {n.get('given', '')}",
                      n.get("family_kana", "") + n.get("given_kana", "")}
            found |= {v for v in (p.get("address") or {}).values() if isinstance(v, str)}
            found |= {v for v in (p.get("contact") or {}).values() if isinstance(v, str)}
    return {s.strip() for s in found if len(s.strip()) >= 3}


def all_git_bytes(root: Path) -> bytes:
    """Every object's content, every path ever committed, every author line and message."""
    objects = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=root,
                             capture_output=True, check=True).stdout
    history = subprocess.run(["git", "log", "--all", "--format=%an%n%ae%n%cn%n%ce%n%B", "--name-only"],
                             cwd=root, capture_output=True, check=True).stdout
    return objects + history


def leaks(haystack: bytes, needles: set[str]) -> list[str]:
    return sorted(s for s in needles if s.encode("utf-8") in haystack)


def test_no_plaintext_personal_data_in_git_or_the_work_tree(demo: dict[str, Any]) -> None:
    root = demo["root"]
    needles = personal_strings(demo["records"])
    assert len(needles) > 100  # names, kana, addresses, phones, e-mails of 20+ people
    sample = next(iter(demo["records"].values()))["text"].encode("utf-8")
    assert leaks(sample, needles)  # the search finds them where they are in plaintext
    assert leaks(all_git_bytes(root), needles) == []
    tree = b"".join(p.read_bytes() + str(p.relative_to(root)).encode() for p in root.rglob("*")
                    if p.is_file() and ".git" not in p.parts and ".identities" not in p.parts)
    assert leaks(tree, needles) == []


# --- from a wheel, outside any checkout -----------------------------------------------------------

def copy_source(dest: Path) -> Path:
    top_level = {".venv", ".git", "build", "dist", ".pytest_cache", "site", "out", "saiken-demo", "tests"}

    def ignore(folder: str, names: list[str]) -> set[str]:
        # site/ and out/ are outputs at the top only: the package has a folder publishing/site/
        skip = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        return skip | (top_level & set(names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def test_init_and_demo_from_an_installed_wheel(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    src = copy_source(tmp_path / "src")
    built = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(src), "-w", str(tmp_path / "dist")],
                tmp_path, env)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("saiken-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for rel in ("policies/handlers.yaml", "policies/information-items.yaml", "docs/index.md", "mkdocs.yml"):
        assert f"saiken/skeleton/{rel}" in names, rel
    # the site's search shim under file:// (never fetched from a CDN), its stylesheet, the docs' screenshot
    assert {"saiken/publishing/site/vendor/iframe-worker/shim.js",
            "saiken/publishing/site/vendor/iframe-worker/LICENSE",
            "saiken/publishing/site/assets/saiken.css", "saiken/skeleton/docs/img/status.png"} <= set(names)
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)], tmp_path, env).returncode == 0
    installed = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env, timeout=900)
    assert installed.returncode == 0, installed.stderr
    shutil.rmtree(src)  # nothing may come from a checkout any more

    where = run([str(venv / "bin" / "python"), "-c", "from saiken.scaffold import skeleton; print(skeleton.source_root())"],
                tmp_path, env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    res = saiken("init", "records-2025", cwd=work, env=env, bin_dir=venv / "bin")
    assert res.returncode == 0, res.stderr
    assert_records_repo(work / "records-2025")
    res = saiken("demo", "demo", "--as-of", AS_OF, cwd=work, env=env, bin_dir=venv / "bin")
    assert res.returncode == 0, res.stderr
    listed = saiken("case", "list", cwd=work / "demo", bin_dir=venv / "bin",
                    env={**env, "SAIKEN_IDENTITY": str(work / "demo" / ".identities" / "otsu-01.txt")})
    assert listed.returncode == 0 and "計 20 件" in listed.stdout, listed.stderr


def test_limitation_reads_the_demo_cases(demo: dict[str, Any]) -> None:
    """One case of each shape: a deceased guarantor's heir, an acceleration demand, an agreement."""
    records = demo["records"]
    shapes = [lambda d: any(p["role"] == "heir" for p in d["parties"]),
              lambda d: "demanded_on" in d["claim"], lambda d: bool(d.get("agreements")),
              lambda d: len(d["parties"]) == 1]
    picked = {next(cid for cid, r in sorted(records.items()) if shape(r["data"])) for shape in shapes}
    for case_id in sorted(picked):
        res = saiken("case", "limitation", case_id, "--as-of", AS_OF, cwd=demo["root"],
                     env=as_handler(demo, "otsu-02"))
        assert res.returncode == 0, f"{case_id}: {res.stderr}"
        assert "消滅時効" in res.stdout


def test_demo_records_are_in_the_form_a_save_writes(demo: dict[str, Any], tmp_path: Path) -> None:
    """The first edit of a demo record changes only the edited line ('2026-03-07 17:30' once became
    2026-03-07 17:30:00 in every history entry)."""
    store = Store.open(demo["root"])
    for cid, rec in demo["records"].items():
        assert store.normalise_text(rec["text"], where=cid)[0] == rec["text"], cid
    root = tmp_path / "copy"
    shutil.copytree(demo["root"], root, symlinks=True)
    case_id = next(cid for cid, r in sorted(demo["records"].items()) if "note: 督促状を送付}" in r["text"])
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/note: 督促状を送付}/note: 督促状を再送付}/' \"$1\"\n", encoding="utf-8")
    editor.chmod(0o755)
    env = {**demo["env"], "SAIKEN_IDENTITY": str(root / ".identities" / "otsu-01.txt")}
    res = saiken("case", "edit", case_id, cwd=root, env={**env, "EDITOR": str(editor)})
    assert res.returncode == 0, res.stderr
    diff = run(["git", "diff", "--unified=0", record_rel(case_id)], root, env).stdout.splitlines()
    changed = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))
               and "# 暗号文 SHA-256:" not in line]  # the textconv header names each version's ciphertext
    assert len(changed) == 2, "\n".join(diff)
    assert "督促状を送付}" in changed[0] and "督促状を再送付}" in changed[1]
    assert changed[0].replace("督促状を送付", "督促状を再送付")[1:] == changed[1][1:]
