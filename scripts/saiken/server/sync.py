"""After an accepted push: gitolite's rules and keys rewritten from the protected branch.

The rules come from policies/handlers.yaml of refs/heads/main as it stands once the push is in –
the accepted policy, never a topic branch or the pusher's work tree – so the push that deactivates
a handler is the push that takes their key off the server. The pre-receive step (`check_push`)
refuses a push to main whose handlers.yaml the server could not turn into rules, so an accepted
push cannot leave the old access in place.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from saiken.core.files import atomic_write
from saiken.core.policy import HANDLERS_FILE, Handler, handlers_from_data, parse_yaml
from saiken.errors import SaikenError
from saiken.git import gitio
from saiken.server import access, gitolite
from saiken.server.scripts import PROTECTED_BRANCH


@dataclass(frozen=True)
class Synced:
    source: str             # the commit the rules came from ("" before the first push)
    users: list[str]        # handler ids with access now
    removed: list[str]      # handler ids whose key was taken off the server


def handlers_at(repo_dir: Path, rev: str) -> list[Handler] | None:
    """The handlers of policies/handlers.yaml at `rev` (None when the file is not there)."""
    raw = gitio.file_at(repo_dir, [rev], HANDLERS_FILE)[0]
    if raw is None:
        return None
    return handlers_from_data(parse_yaml(raw, HANDLERS_FILE, {}))


def check_push(repo_dir: Path, lines: Iterable[str]) -> None:
    """Refuse (SaikenError) a push to the protected branch that would leave the server without
    rules it can write, or without a 甲 handler able to change policies/ ever again."""
    for line in lines:
        parts = line.split()
        if len(parts) != 3 or parts[2] != PROTECTED_BRANCH:
            continue
        if gitio.is_zero(parts[1]):
            raise SaikenError(f"{PROTECTED_BRANCH} は削除できません（受け取った記録の履歴そのものです）。")
        handlers = handlers_at(repo_dir, parts[1])
        if handlers is None:
            raise SaikenError(f"{PROTECTED_BRANCH} に {HANDLERS_FILE} がありません。サーバは取扱者の一覧から"
                              "接続できる人を決めるため、この push は受け取れません。", where=HANDLERS_FILE,
                              hint="saiken init で作った記録リポジトリから push してください。")
        if not any(g.policies for g in access.grants(handlers)):
            raise SaikenError("この push のあと、policies/ を変更できる甲の取扱者（有効で ssh_key のある甲の取扱者）が"
                              "いなくなります。サーバの設定を誰も直せなくなるため、受け取りません。", where=HANDLERS_FILE,
                              hint="saiken handler ssh-key ID --key \"$(cat ~/.ssh/id_ed25519.pub)\" で甲の取扱者の"
                                   "SSH 鍵を登録してから push してください。")


@contextmanager
def _locked(inst: gitolite.Instance) -> Iterator[None]:
    """One writer at a time: two pushes accepted together each rewrite the rules in turn."""
    inst.lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(inst.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_rules(inst: gitolite.Instance, repo: str, handlers: list[Handler], source: str, *,
                force: bool = True) -> list[str] | None:
    """conf/saiken/<repo>.conf and keydir/saiken/*.pub for these handlers, then gitolite's compile;
    the ids whose key was taken off. Unless `force`, nothing is done (None) when the files already
    say exactly this – most pushes do not touch policies/handlers.yaml."""
    conf = inst.saiken_conf_dir / f"{repo}.conf"
    text = access.conf_text(repo, handlers, source)
    wanted = access.key_files(handlers)
    if not force and _unchanged(conf, text, inst.saiken_keydir, wanted):
        return None
    inst.saiken_conf_dir.mkdir(parents=True, exist_ok=True)
    inst.saiken_keydir.mkdir(parents=True, exist_ok=True)
    removed = []
    for old in inst.saiken_keydir.glob("*.pub"):
        if old.name not in wanted:
            old.unlink()
            removed.append(old.name[: -len(".pub")])
    for name, line in wanted.items():
        path = inst.saiken_keydir / name
        if not path.exists() or path.read_text(encoding="utf-8") != line:
            atomic_write(path, line.encode(), 0o600)
    atomic_write(conf, text.encode(), 0o600)
    gitolite.compile_rules(inst)
    return sorted(removed)


def _unchanged(conf: Path, text: str, keydir: Path, wanted: dict[str, str]) -> bool:
    try:
        if conf.read_text(encoding="utf-8") != text:
            return False
        present = {p.name: p.read_text(encoding="utf-8") for p in keydir.glob("*.pub")}
    except OSError:
        return False
    return present == wanted


def sync(inst: gitolite.Instance, repo: str, *, force: bool = True) -> Synced:
    """Rewrite the rules from the protected branch of `repo` as it is now (unless `force`, only
    when they would change)."""
    repo_dir = inst.repo_path(repo)
    with _locked(inst):
        tip = gitio.resolve_commit(repo_dir, PROTECTED_BRANCH) if repo_dir.is_dir() else None
        handlers = (handlers_at(repo_dir, tip) if tip else None) or []
        removed = write_rules(inst, repo, handlers, _source(repo_dir, tip), force=force)
    return Synced(tip or "", [h.id for h in access.users(handlers)], removed or [])


def _source(repo_dir: Path, tip: str | None) -> str:
    """Where the rules came from: the blob of handlers.yaml (the same until that file changes)."""
    if not tip:
        return "（まだ push のない状態）"
    blob = gitio.text(["rev-parse", "--verify", "--quiet", f"{tip}:{HANDLERS_FILE}"], repo_dir, check=False).strip()
    return f"{PROTECTED_BRANCH} の {HANDLERS_FILE}（blob {blob[:12]}）"


def repo_of(inst: gitolite.Instance) -> str | None:
    """The records repository this installation serves (the one conf/saiken/<repo>.conf)."""
    confs = sorted(inst.saiken_conf_dir.glob("*.conf")) if inst.saiken_conf_dir.is_dir() else []
    return confs[0].stem if confs else None
