"""`saiken server setup`: gitolite, the records repository and its enforcement, from nothing.

Run as the gitolite user (Debian: `sudo -u gitolite3 -H saiken server setup …`). On a home
without gitolite it runs `gitolite setup` with an admin that has no key – nobody administers this
gitolite over SSH; the rules come only from policies/handlers.yaml – and owns gitolite.conf. On an
existing gitolite it adds only its own files and asks for one include line in gitolite.conf.
Run again, it rewrites the hooks (a new saiken path, a new server identity) and the rules.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from saiken.core import layout
from saiken.core.files import atomic_write
from saiken.errors import SaikenError
from saiken.git import gitio
from saiken.server import gitolite, mirror, scripts, sync

ADMIN = "saiken-admin"
OWN_CONF = f"""# saiken server setup が作りました。このサーバの gitolite は saiken の記録リポジトリ専用です。
# 接続できる人は policies/handlers.yaml から作る {gitolite.SAIKEN_DIR}/*.conf だけが決めます（手で書き加えないこと）。
# 管理者 {ADMIN} には鍵がなく、gitolite-admin には誰も SSH で push できません。

repo gitolite-admin
    RW+     =   {ADMIN}

{gitolite.INCLUDE_LINE}
"""


@dataclass
class Options:
    home: Path
    repo: str
    saiken: str                                   # absolute path of the saiken the hooks run
    identity: Path | None = None                  # the server's own key (a registered handler), if any
    import_from: str | None = None                # a bundle, path or URL with the records' history
    mirrors: list[str] = field(default_factory=list)


def setup(opts: Options) -> sync.Synced:
    new = not (opts.home / ".gitolite.rc").exists()
    if new:
        gitolite.setup_new(opts.home, ADMIN)
    rc = opts.home / ".gitolite.rc"
    text = rc.read_text(encoding="utf-8")
    enabled = gitolite.enable_features(text)
    if enabled != text:
        atomic_write(rc, enabled.encode(), 0o600)
    inst = gitolite.instance(opts.home)
    if inst.local_code is None:
        raise gitolite.GitoliteError("~/.gitolite.rc の LOCAL_CODE を読めません。", hint="gitolite query-rc LOCAL_CODE")
    _own_conf(inst, new)
    other = sync.repo_of(inst)
    if other and other != opts.repo:
        raise SaikenError(f"この gitolite には既に記録リポジトリ「{other}」があります（1 つの gitolite ユーザに 1 つ）。",
                          hint=f"saiken server setup --repo {other}（別のリポジトリには別の gitolite ユーザを使います）")
    scripts.install(inst.local_code, opts.saiken, opts.identity)
    synced = sync.sync(inst, opts.repo)          # creates the repository and links its hooks
    repo_dir = inst.repo_path(opts.repo)
    # gitolite makes the repository with git's default HEAD; a clone should check out the protected branch
    gitio.run(["symbolic-ref", "HEAD", scripts.PROTECTED_BRANCH], repo_dir)
    for url in opts.mirrors:
        mirror.add(repo_dir, url)
    if opts.import_from:
        synced = import_history(inst, opts.repo, opts.import_from)
    return synced


def _own_conf(inst: gitolite.Instance, new: bool) -> None:
    if new:
        atomic_write(inst.conf_file, OWN_CONF.encode(), 0o600)
        _drop_empty_testing_repo(inst)
        return
    lines = [line.strip() for line in inst.conf_file.read_text(encoding="utf-8").splitlines()]
    if gitolite.INCLUDE_LINE not in lines:
        raise gitolite.GitoliteError(
            f"既存の gitolite.conf に saiken の規則を読み込む行がありません: {gitolite.INCLUDE_LINE}",
            where=str(inst.conf_file),
            hint=f"gitolite-admin の conf/gitolite.conf の先頭に `{gitolite.INCLUDE_LINE}` を書いて push し、"
                 "もう一度 saiken server setup を実行してください（先頭に置くと、ほかの規則より先に効きます）。")


def _drop_empty_testing_repo(inst: gitolite.Instance) -> None:
    """`gitolite setup` makes an empty `testing` repository anyone may push to; it goes from the conf,
    and from the disk while it is still empty."""
    testing = inst.repo_path("testing")
    if testing.is_dir() and not gitio.run(["for-each-ref"], testing).strip():
        import shutil

        shutil.rmtree(testing)


def import_history(inst: gitolite.Instance, repo: str, source: str) -> sync.Synced:
    """Push every branch and tag of `source` into the empty records repository, through its hooks:
    the history is checked like any push, and the rules follow its handlers.yaml."""
    repo_dir = inst.repo_path(repo)
    if gitio.run(["for-each-ref", "refs/heads", "refs/tags"], repo_dir).strip():
        raise SaikenError(f"記録リポジトリ「{repo}」には既に履歴があります。取り込めるのは空のリポジトリだけです。",
                          hint="別のサーバへ移すときは、新しいサーバで saiken server setup --import を実行します。")
    with tempfile.TemporaryDirectory(prefix="saiken-import-") as tmp:
        copy = Path(tmp) / "copy.git"
        _git(["clone", "--quiet", "--mirror", source, str(copy)], Path(tmp), f"{source} を読めません")
        # `gitolite push`: git push with gitolite's access check bypassed (there is no SSH user);
        # the pre-receive hook checks the history like any push, the post-receive hook writes the rules.
        # Commits made before `saiken records migrate` hold records in the flat layout: accepted here
        # only (saiken.core.layout.ACCEPT_FLAT_ENV), as they were when first pushed.
        os.environ[layout.ACCEPT_FLAT_ENV] = "1"
        try:
            gitolite.run(inst.home, ["push", "--quiet", str(repo_dir), "refs/heads/*:refs/heads/*",
                                     "refs/tags/*:refs/tags/*"], cwd=copy)
        except gitolite.GitoliteError as exc:
            raise SaikenError(f"記録の履歴をサーバに取り込めませんでした（検査の結果を確かめてください）:\n{exc.message}",
                              hint="取り込む履歴を手元で saiken check --range main で確かめてください。") from None
        finally:
            os.environ.pop(layout.ACCEPT_FLAT_ENV, None)
    return sync.sync(inst, repo)


def _git(args: list[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SaikenError(f"{what}:\n{proc.stderr.strip()}")
