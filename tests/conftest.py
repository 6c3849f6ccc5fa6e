"""Shared fixtures: real temp repositories, real keys, real git; fictional people only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from saiken.core import crypto

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Public data the tests need, vendored with its licence: the source document and the age test vectors
DATA = Path(__file__).resolve().parent / "data"
SEED_FILE = DATA / "seed" / "000_a62ec0abcc0c0428.txt"
VENV_BIN = Path(sys.executable).parent


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class RecordsRepo:
    """A records repository in a temp dir with one active handler whose identity we hold."""

    root: Path
    env: dict[str, str]
    identity: Path
    public: str
    handlers: dict[str, tuple[Path, str]] = field(default_factory=dict)

    def saiken(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
               check: bool = False) -> Result:
        """Run the real `saiken` console script in this repository."""
        proc = subprocess.run([str(VENV_BIN / "saiken"), *args], cwd=self.root, input=input,
                              capture_output=True, text=True, env={**self.env, **(env or {})}, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"saiken {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True,
                              env=self.env, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def add_handler(self, handler_id: str, org: str = "乙", role: str = "取扱者") -> tuple[Path, str]:
        """Generate a real identity and designate it as a handler."""
        path = self.root.parent / f"{handler_id}.key"
        secret, public = crypto.generate_identity()
        path.write_text(crypto.identity_file_text(secret, public, "test"))
        path.chmod(0o600)
        self.saiken("handler", "add", "--id", handler_id, "--name", f"架空 {handler_id}", "--org", org,
                    "--role", role, "--key", public, "--email", f"{handler_id}@example.invalid", check=True)
        self.handlers[handler_id] = (path, public)
        return path, public


def _base_env(tmp: Path) -> dict[str, str]:
    # CI (set when this suite runs in CI) makes findings hide the record's text: a test sets it itself
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAIKEN_", "GIT_")) and k != "CI"}
    env.update({
        "HOME": str(tmp / "home"), "XDG_CONFIG_HOME": str(tmp / "home" / ".config"),
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "GIT_AUTHOR_NAME": "架空 otsu-01", "GIT_AUTHOR_EMAIL": "otsu-01@example.invalid",
        "GIT_COMMITTER_NAME": "架空 otsu-01", "GIT_COMMITTER_EMAIL": "otsu-01@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8", "EDITOR": "false",
    })
    (tmp / "home").mkdir(exist_ok=True)
    return env


CHECK_POLICIES = ("handlers.yaml", "information-items.yaml", "contract.yaml", "special-terms.yaml",
                  "prohibited-categories.yaml", "personal-data.yaml")


def make_records_repo(tmp: Path, policies: tuple[str, ...] = CHECK_POLICIES) -> RecordsRepo:
    """A git repository at tmp/repo with saiken's `policies` copied in and otsu-01 (取扱責任者)
    designated, whose key is SAIKEN_IDENTITY."""
    root = tmp / "repo"
    (root / "policies").mkdir(parents=True)
    for name in policies:
        shutil.copy(ROOT / "policies" / name, root / "policies" / name)
    env = _base_env(tmp)
    repo = RecordsRepo(root, env, Path(), "")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=env)
    repo.identity, repo.public = repo.add_handler("otsu-01", role="取扱責任者")
    repo.env["SAIKEN_IDENTITY"] = str(repo.identity)
    return repo


def full_records_repo(tmp: Path) -> RecordsRepo:
    """A records repository at tmp/repo with every policy of saiken and its .pre-commit-config.yaml,
    git initialised on main and otsu-01 (取扱責任者) designated, whose key is SAIKEN_IDENTITY; nothing
    committed yet."""
    root = tmp / "repo"
    (root / "policies").mkdir(parents=True)
    for path in sorted((ROOT / "policies").glob("*.yaml")):
        if path.name != "paths.yaml":  # a records repository: the built-in list, not saiken's own
            shutil.copy(path, root / "policies" / path.name)
    shutil.copy(ROOT / ".pre-commit-config.yaml", root / ".pre-commit-config.yaml")
    repo = RecordsRepo(root, _base_env(tmp), Path(), "")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=repo.env)
    repo.identity, repo.public = repo.add_handler("otsu-01", role="取扱責任者")
    repo.env["SAIKEN_IDENTITY"] = str(repo.identity)
    return repo


@pytest.fixture
def records_repo(tmp_path: Path) -> RecordsRepo:
    return make_records_repo(tmp_path)


@pytest.fixture
def fictional_case_text() -> str:
    return (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8")


def plant_record(repo: RecordsRepo, text: str) -> str:
    """Write a record as saiken writes one (normalised, encrypted to the active handlers, noted in
    the manifest) but without the commands' per-record checks: a record with a prohibited word
    that arrived some other way (written with age by hand, or before those checks), for the checks
    and hooks to find. Returns its case id."""
    from saiken.core.records import Store

    store = Store.open(repo.root)
    normalised, data = store.normalise_text(text)
    store.write_text(str(data["case_id"]), normalised)
    return str(data["case_id"])
