"""The one place that runs gitolite (Debian's gitolite3) and knows where its files are.

gitolite keeps everything under the home of the user it runs as: ~/.gitolite.rc (settings, Perl),
~/.gitolite/conf (the access rules), ~/.gitolite/keydir (one public key per user), ~/repositories.
saiken writes only its own files there – conf/saiken/, keydir/saiken/, LOCAL_CODE – and lets
gitolite turn them into its compiled rules and ~/.ssh/authorized_keys (`gitolite compile` and
`gitolite trigger POST_COMPILE`, which is what gitolite's own admin push runs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from saiken.errors import SaikenError

SAIKEN_DIR = "saiken"               # our folder under conf/ and keydir/
INCLUDE_LINE = f'include "{SAIKEN_DIR}/*.conf"'
INSTALL_HINT = "Debian では `apt-get install gitolite3 openssh-server` で入れてください。"


class GitoliteError(SaikenError):
    pass


def executable() -> str:
    found = shutil.which("gitolite")
    if not found:
        raise GitoliteError("gitolite が見つかりません。", hint=INSTALL_HINT)
    return found


def run(home: Path, args: list[str], *, input: str | None = None, check: bool = True, cwd: Path | None = None) -> str:
    """`gitolite ARGS` as the gitolite user whose home is `home` (what it prints; its error in Japanese)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GL_")} | {"HOME": str(home)}
    proc = subprocess.run([executable(), *args], input=input, capture_output=True, text=True, env=env, cwd=cwd)
    if check and proc.returncode != 0:
        raise GitoliteError(f"gitolite {' '.join(args)} が失敗しました（終了コード {proc.returncode}）:\n"
                            f"{(proc.stderr or proc.stdout).strip()}",
                            hint="gitolite の設定を確かめてください（~/.gitolite/logs/ に記録があります）。")
    return proc.stdout


@dataclass(frozen=True)
class Instance:
    """A gitolite installation: the home of its user and the folders gitolite reports."""

    home: Path
    admin_base: Path    # ~/.gitolite
    repo_base: Path     # ~/repositories
    local_code: Path | None

    @property
    def rc_file(self) -> Path:
        return self.home / ".gitolite.rc"

    @property
    def conf_file(self) -> Path:
        return self.admin_base / "conf" / "gitolite.conf"

    @property
    def saiken_conf_dir(self) -> Path:
        return self.admin_base / "conf" / SAIKEN_DIR

    @property
    def saiken_keydir(self) -> Path:
        return self.admin_base / "keydir" / SAIKEN_DIR

    def repo_path(self, name: str) -> Path:
        return self.repo_base / f"{name}.git"

    @property
    def lock_file(self) -> Path:
        return self.admin_base / "saiken.lock"


def default_home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def instance(home: Path) -> Instance:
    """The installation under `home`, as gitolite itself resolves its rc (LOCAL_CODE and the rest)."""
    if not (home / ".gitolite.rc").is_file():
        raise GitoliteError(f"{home} に gitolite がまだ設定されていません（~/.gitolite.rc がありません）。",
                            hint="gitolite のユーザで `saiken server setup --import 記録.bundle` を実行してください。")

    def rc(key: str) -> str:
        return run(home, ["query-rc", key], check=False).strip()

    local = rc("LOCAL_CODE")
    return Instance(home, Path(rc("GL_ADMIN_BASE") or home / ".gitolite"),
                    Path(rc("GL_REPO_BASE") or home / "repositories"), Path(local) if local else None)


def setup_new(home: Path, admin: str) -> None:
    """A new installation with an admin who has no key (no one can push gitolite-admin over SSH)."""
    run(home, ["setup", "-a", admin])


# The default rc lists these commented out; saiken needs both (docs: gitolite "cust" and
# "repo-specific hooks"). LOCAL_CODE stays on the server, outside the gitolite-admin repository.
_LOCAL_CODE = re.compile(r'^(\s*)#\s*(LOCAL_CODE\s*=>\s*"\$ENV\{HOME\}/local",)\s*$', re.M)
_REPO_HOOKS = re.compile(r"^(\s*)#\s*('repo-specific-hooks',)\s*$", re.M)
_ENABLED_LOCAL = re.compile(r"^\s*LOCAL_CODE\s*=>", re.M)
_ENABLED_HOOKS = re.compile(r"^\s*'repo-specific-hooks',", re.M)


def enable_features(rc_text: str) -> str:
    """The rc with LOCAL_CODE ($HOME/local) and 'repo-specific-hooks' turned on – by uncommenting the
    default file's own lines, so the file stays the one an administrator knows."""
    if not _ENABLED_LOCAL.search(rc_text):
        rc_text, n = _LOCAL_CODE.subn(r"\1\2", rc_text, count=1)
        if not n:
            raise GitoliteError("~/.gitolite.rc に LOCAL_CODE の行が見つかりません。",
                                hint='ENABLE の前に LOCAL_CODE => "$ENV{HOME}/local", を書き加えてください。')
    if not _ENABLED_HOOKS.search(rc_text):
        rc_text, n = _REPO_HOOKS.subn(r"\1\2", rc_text, count=1)
        if not n:
            raise GitoliteError("~/.gitolite.rc の ENABLE に 'repo-specific-hooks' の行が見つかりません。",
                                hint="ENABLE => [ … ] の中に 'repo-specific-hooks', を書き加えてください。")
    return rc_text


def compile_rules(inst: Instance) -> None:
    """What gitolite's own admin push runs: compile the rules, then the triggers that write
    ~/.ssh/authorized_keys from keydir, create new repositories and link their hooks."""
    run(inst.home, ["compile"])
    run(inst.home, ["trigger", "POST_COMPILE"])


def access(inst: Instance, repo: str, users: list[str], perm: str = "R", ref: str = "any") -> dict[str, bool]:
    """Whether each user may `perm` the repository, as gitolite decides it (one `gitolite access`,
    users read from its stdin)."""
    if not users:
        return {}
    out = run(inst.home, ["access", repo, "%", perm, ref], input="".join(u + "\n" for u in users), check=False)
    allowed: dict[str, bool] = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            allowed[parts[1]] = "DENIED" not in parts[2]
    return allowed


def users(inst: Instance) -> list[str]:
    """Every user gitolite knows from its rules and from keydir."""
    named = set(run(inst.home, ["list-users"], check=False).split())
    keyed = {_user_of(p) for p in (inst.admin_base / "keydir").rglob("*.pub")}
    return sorted(u for u in named | keyed if not u.startswith("@"))


def _user_of(pub: Path) -> str:
    return re.sub(r"(@[^.]+)?\.pub$", "", pub.name)
