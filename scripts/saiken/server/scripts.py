"""The programs saiken puts into gitolite's LOCAL_CODE (~/local): two repository hooks and a VREF.

gitolite links `hooks/repo-specific/<name>` into a repository when its rules say
`option hook.pre-receive = <name>` (saiken.server.access), and runs `VREF/<NAME>` from its own
update hook for every pushed ref. The hooks call saiken by the absolute path it was set up with,
so they run the very checks `saiken check` runs: `saiken hook pre-receive`, the one code path.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from saiken.server.access import POST_RECEIVE, PRE_RECEIVE, VREF

PROTECTED_BRANCH = "refs/heads/main"
_HEADER = ("#!/bin/sh\n# saiken server setup が置きました。書き換えず、saiken server setup をもう一度実行して"
           "作り直してください。\n")


def pre_receive(saiken: str, identity: Path | None) -> str:
    """Every pushed commit against the special terms, then the access rules the push would give."""
    env = f"SAIKEN_IDENTITY={shlex.quote(str(identity))}; export SAIKEN_IDENTITY\n" if identity else ""
    return (_HEADER + "# push されたすべてのコミットを特記事項に照らして検査し、違反があれば受け取りません。\n"
            + env + "refs=$(cat)\n"
            + f"printf '%s\\n' \"$refs\" | {shlex.quote(saiken)} hook pre-receive || exit 1\n"
            + f"printf '%s\\n' \"$refs\" | exec {shlex.quote(saiken)} server check-push\n")


def post_receive(saiken: str) -> str:
    """After the push is accepted: access rewritten from the protected branch, mirrors updated."""
    return (_HEADER + "# 受け取った push の policies/handlers.yaml から接続の設定を作り直し、ミラーに送ります。\n"
            + f"exec {shlex.quote(saiken)} server post-receive\n")


def vref() -> str:
    """`VREF/SAIKEN-POLICY`: one line per policy file the push changes, with the reason to refuse.

    gitolite's own VREF/NAME diffs the old and new tip, so creating a branch would count every file
    of the tree as changed and no 乙 handler could ever push a new branch. This one takes the files
    changed by the commits the repository does not have yet (a merge: what differs from every
    parent), and on the protected branch also the old tip against the new one – a merge that keeps
    an older policies/ is a change all the same. gitolite checks each line against the rules:
    甲 handlers pass, everyone else is refused with the text after the path."""
    branch = shlex.quote(PROTECTED_BRANCH)
    reason = ("乙の取扱者は policies/ を変更できません（方針は甲の取扱者が変更し、署名して push します。"
              "特記事項13）。このファイルの変更をコミットから外してください（git rebase -i）。")
    return (_HEADER
            + "# gitolite の VREF: push が変える policies/ のファイルを 1 行ずつ出す（甲の取扱者以外は拒否される）。\n"
            + "# 引数（gitolite が渡す）: 参照 旧SHA 新SHA 旧ツリー 新ツリー 権限 VREF名\n"
            + 'ref=$1 old=$2 new=$3 name=$7\n'
            + 'case $new in *[!0]*) ;; *) exit 0 ;; esac   # deleting a ref changes no file\n'
            + 'changed=$(git -c core.quotePath=false log --format= --name-only --cc "$new" --not --all) || exit 1\n'
            + f'if [ "$ref" = {branch} ]; then\n'
            + '    case $old in *[!0]*) base=$old ;; *) base=$(git hash-object -t tree /dev/null) ;; esac\n'
            + '    tips=$(git -c core.quotePath=false diff --name-only "$base" "$new") || exit 1\n'
            + '    changed="$changed\n$tips"\n'
            + "fi\n"
            + "# a path git had to quote (\"policies/…\") is a policy file too\n"
            + f"printf '%s\\n' \"$changed\" | grep -E '^\"?policies/' | sort -u | sed \"s|^|$name/|; s|\\$| {reason}|\"\n"
            + "exit 0\n")


def install(local_code: Path, saiken: str, identity: Path | None) -> list[Path]:
    """Write the three programs (0755) under LOCAL_CODE; the paths written."""
    hooks = local_code / "hooks" / "repo-specific"
    files = {hooks / PRE_RECEIVE: pre_receive(saiken, identity), hooks / POST_RECEIVE: post_receive(saiken),
             local_code / "VREF" / VREF: vref()}
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o755)
        tmp.replace(path)
    return list(files)
