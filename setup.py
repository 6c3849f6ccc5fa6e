"""Build step that pyproject.toml cannot express: ship the records-repository skeleton.

`saiken init` lays out a new records repository from this repository's top level (policies/,
docs/, mkdocs.yml, the pre-commit files). A wheel has no top level, so build_py copies those into
the built package as saiken/skeleton/. Nothing is duplicated in the repository itself; an editable
install reads the checkout directly (see scripts/saiken/scaffold/skeleton.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SKELETON_DIRS = ("policies", "docs")
SKELETON_FILES = ("mkdocs.yml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml")


class BuildPyWithSkeleton(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout itself
        self._skeleton_outputs = copy_skeleton(Path(self.build_lib) / "saiken" / "skeleton")

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *getattr(self, "_skeleton_outputs", [])]


def copy_skeleton(dest: Path) -> list[str]:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in SKELETON_DIRS:
        if (HERE / name).is_dir():
            shutil.copytree(HERE / name, dest / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*.swp"))
    for name in SKELETON_FILES:
        if (HERE / name).is_file():
            shutil.copy2(HERE / name, dest / name)
    return [str(p) for p in dest.rglob("*") if p.is_file()]


setup(cmdclass={"build_py": BuildPyWithSkeleton})
