"""A new records repository, laid out from what saiken ships.

The skeleton is the top level of saiken's own repository: policies/, docs/, mkdocs.yml and the
pre-commit files. From a checkout (an editable install) they are read where they are; an installed
wheel carries a copy as package data under saiken/skeleton/, made at build time by setup.py, so no
second copy is ever committed. `create()` copies them, adds the folders and ignore rules a records
repository needs, starts policies/handlers.yaml with no handlers, writes the records repository's
allow-list as policies/paths.yaml (saiken's own list allows its scripts/ and fictional tests/; a
records repository's does not), runs `git init` and commits.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from saiken.core import policy, yamlio
from saiken.errors import SaikenError
from saiken.git import gitio

# What a records repository takes from saiken: folders, then single files (copied when present).
SKELETON_DIRS = ("policies", "docs")
SKELETON_FILES = ("mkdocs.yml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml")
EMPTY_DIRS = ("records", "ledger")

GITIGNORE = """\
# 秘密鍵・生成物・キャッシュはコミットしません（特記事項2・8）。
.identities/
site/
out/
.saiken-cache/
.saiken/
"""

INIT_MESSAGE = "記録リポジトリを作成（saiken init）"
FALLBACK_AUTHOR = ("saiken init", "init@saiken.invalid")

_PACKAGED = Path(__file__).resolve().parent.parent / "skeleton"
_CHECKOUT = Path(__file__).resolve().parents[3]


def _is_checkout(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "policies" / "handlers.yaml").is_file()


def source_root() -> Path:
    """Where the skeleton is read from: the checkout's top level, else the packaged copy."""
    if _is_checkout(_CHECKOUT):
        return _CHECKOUT
    if (_PACKAGED / "policies" / "handlers.yaml").is_file():
        return _PACKAGED
    raise SaikenError("saiken のひな形（policies/ など）が見つかりません。インストールが壊れています。",
                      where=str(_PACKAGED),
                      hint="pip install --force-reinstall saiken で入れ直してください。")


def check_target(target: Path) -> None:
    """Refuse anything but a missing or empty folder: init never mixes with existing files."""
    above = next((p for p in target.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise SaikenError(f"途中の {above} がフォルダではないため、フォルダを作成できません。", where=str(target),
                          hint="別の場所を指定してください。")
    if target.exists() and not target.is_dir():
        raise SaikenError("同じ名前のファイルがあるため、フォルダを作成できません。", where=str(target),
                          hint="別の場所を指定してください。")
    if target.is_dir() and any(target.iterdir()):
        raise SaikenError("フォルダが空ではありません。既存のファイルと混ざらないよう、空のフォルダか"
                          "まだないフォルダを指定してください。", where=str(target),
                          hint=f"新しいフォルダ名（例: {target.resolve().name or 'saiken-records'}-new）を指定してください。")


def copy_skeleton(src: Path, dest: Path) -> list[str]:
    """Copy the shipped files into `dest`; returns the relative paths copied."""
    copied: list[str] = []
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*.swp")
    for name in SKELETON_DIRS:
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name, ignore=ignore, dirs_exist_ok=True)
            copied.append(name + "/")
    for name in SKELETON_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dest / name)
            copied.append(name)
    return copied


def empty_handlers(root: Path) -> None:
    """A new repository designates nobody yet: keep the file's comments, drop its entries."""
    path = root / policy.HANDLERS_FILE
    doc = yamlio.rt_load(path.read_text(encoding="utf-8"), where=policy.HANDLERS_FILE)
    if doc.get("handlers"):
        doc["handlers"] = []
        path.write_text(yamlio.rt_dump(doc), encoding="utf-8")


def records_allow_list(root: Path) -> None:
    """policies/paths.yaml of a records repository: what saiken ships for one, not saiken's own."""
    from saiken.checks import paths

    shutil.copy(paths.RECORDS_LIST, root / paths.PATHS_FILE)


def lay_out(root: Path) -> None:
    for name in EMPTY_DIRS:
        (root / name).mkdir(exist_ok=True)
        (root / name / ".gitkeep").touch()
    (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")


def setup_git_drivers(root: Path) -> None:
    """.gitattributes, the diff/merge drivers and the hooks, via saiken.git.gitdrivers."""
    from saiken.git import gitdrivers

    # Drivers and hooks run saiken and pre-commit: make sure they are this installation's.
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = git_env()["PATH"]
    try:
        gitdrivers.setup(root)
    finally:
        os.environ["PATH"] = saved


def git_env(author: tuple[str, str] | None = None) -> dict[str, str]:
    """Environment for git in a new repository: saiken's own bin first, so hooks find it."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    if author:
        env.update({"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
                    "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]})
    return env


def has_git_identity(root: Path) -> bool:
    if os.environ.get("GIT_AUTHOR_EMAIL") and os.environ.get("GIT_COMMITTER_EMAIL"):
        return True
    return bool(gitio.run(["config", "user.email"], root, check=False).strip())


def commit_all(root: Path, message: str, author: tuple[str, str] | None = None) -> None:
    env = git_env(author)
    gitio.run(["add", "-A"], root, env=env)
    gitio.run(["commit", "-q", "-m", message], root, env=env)


def create(target: Path) -> Path:
    """Make a complete records repository at `target` (missing or empty) and commit it."""
    check_target(target)
    src = source_root()
    made = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    try:
        copy_skeleton(src, root)
        empty_handlers(root)
        records_allow_list(root)
        lay_out(root)
        gitio.run(["init", "-q", "-b", "main"], root)
        setup_git_drivers(root)
        commit_all(root, INIT_MESSAGE, None if has_git_identity(root) else FALLBACK_AUTHOR)
    except BaseException:
        # Leave nothing half-made: the folder was empty (or absent) before we started.
        shutil.rmtree(root, ignore_errors=True)
        if not made:
            root.mkdir(exist_ok=True)
        raise
    return root
