"""The ward's second server: every accepted push copied there with `git push --mirror`.

The mirror URLs live in the records repository's own git config (`saiken.mirror`, one per
mirror), where gitolite leaves them alone. The copy runs after the push is accepted; a mirror that
cannot be reached is reported to the pusher and in gitolite's log, and catches up on the next push.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from saiken.git import gitio

MIRROR_KEY = "saiken.mirror"


@dataclass(frozen=True)
class Pushed:
    url: str
    ok: bool
    detail: str


def urls(repo_dir: Path) -> list[str]:
    out = gitio.run(["config", "--get-all", MIRROR_KEY], repo_dir, check=False)
    return [u for u in out.decode().splitlines() if u.strip()]


def add(repo_dir: Path, url: str) -> None:
    if url not in urls(repo_dir):
        gitio.run(["config", "--add", MIRROR_KEY, url], repo_dir)


def push_all(repo_dir: Path) -> list[Pushed]:
    """Mirror the whole repository (every branch and tag, deletions too) to each mirror."""
    out = []
    for url in urls(repo_dir):
        proc = subprocess.run(["git", "push", "--quiet", "--mirror", url], cwd=repo_dir, capture_output=True,
                              text=True)
        out.append(Pushed(url, proc.returncode == 0, proc.stderr.strip()))
    return out
