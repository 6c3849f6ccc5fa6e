"""Plaintext that git itself may keep: the textconv cache.

With `diff.<driver>.cachetextconv` true, git stores every textconv output – for saiken's driver the
decrypted record – as a blob under `refs/notes/textconv/<driver>`, inside .git, where no check of a
file ever looks and from which a `git push --all`-style mirror or a backup of .git copies it on.
saiken's own setup sets it to false; someone may set it to true by hand (or in ~/.gitconfig).

`found` says what is there (the effective setting of each driver, whatever file sets it, and every
notes ref); `remove` undoes it: the setting turned off in the repository's own config (which wins
over ~/.gitconfig), the notes refs deleted with their reflogs, and the objects they held pruned at
once (`git gc --prune=now`), so the plaintext does not wait in .git for a gc weeks later.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from saiken.git import gitio

NOTES_PREFIX = "refs/notes/textconv/"
_TRUE = {"true", "yes", "on", "1"}


@dataclass
class Cached:
    settings: list[tuple[str, str]] = field(default_factory=list)  # (key, file that sets it)
    refs: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.settings or self.refs)


def _settings(root: Path) -> list[tuple[str, str]]:
    proc = subprocess.run(["git", "config", "--show-origin", "--get-regexp", r"^diff\..*\.cachetextconv$"],
                          cwd=root, capture_output=True)
    effective: dict[str, tuple[str, str]] = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        origin, _, rest = line.partition("\t")
        key, _, value = rest.partition(" ")
        effective[key.lower()] = (value.strip().lower(), origin.removeprefix("file:"))  # the last one wins
    return [(key, origin) for key, (value, origin) in effective.items() if value in _TRUE]


def found(root: Path) -> Cached:
    refs = gitio.text(["for-each-ref", "--format=%(refname)", NOTES_PREFIX], root).split()
    return Cached(_settings(root), refs)


def remove(root: Path) -> list[str]:
    """Turn the cache off and delete what it stored; returns what was done (Japanese, for staff)."""
    cached = found(root)
    done: list[str] = []
    for key, origin in cached.settings:
        gitio.config_set(root, key, "false")
        done.append(f"git の設定 {key} を false にしました（true は {origin} にありました）。")
    for ref in cached.refs:
        gitio.run(["update-ref", "-d", ref], root)
    if cached.refs:
        gitio.run(["gc", "--quiet", "--prune=now"], root)
        done.append(f"復号した差分のキャッシュ（{', '.join(cached.refs)}）を削除し、.git から消去しました。")
    return done
