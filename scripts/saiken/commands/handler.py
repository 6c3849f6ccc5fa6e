"""saiken handler add|deactivate|list – the designated handlers (特記事項13).

policies/handlers.yaml is edited with ruamel.yaml round-trip, so the comments and layout a ward
wrote by hand survive every `add` and `deactivate`. The new file is checked the same way every
other command reads it before it replaces the old one, so a bad edit never lands on disk.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

import click

from saiken.commands._common import DATE
from saiken.commands._rules_commit import commit_rule_change
from saiken.core import crypto, policy, sshkey, yamlio
from saiken.core.files import atomic_write
from saiken.core.records import find_root
from saiken.errors import SaikenError
from saiken.git import signing

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FILE = policy.HANDLERS_FILE


def _load() -> tuple[Path, Path, Any]:
    root = find_root()
    path = root / FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SaikenError(f"取扱者の一覧を読めません（{exc}）。", where=FILE) from None
    doc = yamlio.rt_load(text, where=FILE)
    if doc is None:
        raise SaikenError("取扱者の一覧が空です（「handlers:」がありません）。", where=FILE,
                          hint="`saiken init` で作り直すか、「handlers: []」と書いてください。")
    if not isinstance(doc, dict):
        raise SaikenError("取扱者の一覧の形式が正しくありません（最上位は「handlers:」です）。", where=FILE)
    if doc.get("handlers") is None:
        doc["handlers"] = []
    if not isinstance(doc["handlers"], list):
        raise SaikenError("「handlers」は取扱者の並び（- で始まる項目）でなければなりません。", where=FILE)
    return root, path, doc


def _save(path: Path, doc: Any) -> None:
    """Check the edited list as every command reads it, then replace the file atomically."""
    text = yamlio.rt_dump(doc)
    data = yamlio.fast_load(text, where=FILE, what=yamlio.RULES) or {}
    handlers = policy.handlers_from_data(data)
    for h in handlers:
        h.recipient  # noqa: B018 - raises a clear error for a key we could not encrypt to
    atomic_write(path, text.encode("utf-8"))


def _key_of(entry: Any) -> str:
    text = str(entry.get("public_key", "")) if isinstance(entry, dict) else ""
    try:
        return crypto.RecipientKey.parse(text).text
    except SaikenError:
        return " ".join(text.split()[:2])


def _check_new(doc: Any, handler_id: str, key: crypto.RecipientKey, email: str | None) -> None:
    for h in doc["handlers"]:
        if not isinstance(h, dict):
            continue
        if email and str(h.get("email", "")).lower() == email.lower():
            # commits are matched to handlers by e-mail (特記事項13): one address, one handler
            raise SaikenError(f"メールアドレス {email} は取扱者「{h.get('id')}」が使っています。", where=FILE,
                              hint="取扱者ごとに別のメールアドレスを --email で指定してください。")
        if h.get("id") == handler_id:
            raise SaikenError(f"取扱者 ID「{handler_id}」は既に登録されています。", where=FILE,
                              hint="別の ID を --id で指定してください（`saiken handler list` で確認できます）。")
        if _key_of(h) == key.text:
            state = "" if h.get("active", True) else "（指定解除済み）"
            raise SaikenError(f"この公開鍵は取扱者「{h.get('id')}」{state}として登録済みです。", where=FILE,
                              hint="1 人 1 つの鍵を使います。新しく `saiken keygen` で作った公開鍵を指定してください。")


def _clean_name(name: str) -> str:
    name = " ".join(unicodedata.normalize("NFKC", name).split())
    if not name:
        raise SaikenError("氏名が空です。", where="--name")
    if len(name) > 64:
        raise SaikenError("氏名が長すぎます（64 文字まで）。", where="--name")
    return name


@click.group()
def handler() -> None:
    """取扱責任者・取扱者（policies/handlers.yaml）を管理します。

    \b
    例:
      saiken handler list
      saiken handler add --id otsu-02 --name "乙野 花子" --org 乙 --role 取扱者 --key age1...
      saiken handler deactivate otsu-02
      saiken handler signing-key kou-01 --key "$(cat ~/.ssh/saiken_signing.pub)"
      saiken handler ssh-key otsu-02 --key "$(cat ~/.ssh/id_ed25519.pub)"
    """


@handler.command("list")
@click.option("--active", "active_only", is_flag=True, help="有効な取扱者だけを表示します。")
@click.option("--allowed-signers", is_flag=True,
              help="規則の変更に署名できる取扱者（署名鍵のある有効な甲の取扱者）を、git の allowed-signers の形で表示します。")
def list_(active_only: bool, allowed_signers: bool) -> None:
    """指定されている取扱者の一覧を表示します（ID・甲乙・役割・状態・氏名・鍵の種類・鍵の指紋）。

    --allowed-signers は、git で署名を確かめるためのファイル（gpg.ssh.allowedSignersFile）の中身です。
    ファイルに書き出して `git config gpg.ssh.allowedSignersFile ファイル` と設定すると、
    `git log --show-signature` で誰の署名かが表示されます。

    \b
    例:
      saiken handler list
      saiken handler list --active
      saiken handler list --allowed-signers
    """
    if allowed_signers:
        handlers = policy.load_handlers(find_root())
        click.echo(signing.allowed_signers((h.id, h.signing_key) for h in handlers
                                           if h.may_sign_rules and h.signing_key), nl=False)
        return
    for h in policy.load_handlers(find_root()):
        if active_only and not h.active:
            continue
        state = "有効" if h.active else "解除"
        click.echo(f"{h.id}\t{h.organisation}\t{h.role}\t{state}\t{h.name}\t{h.recipient.kind}\t"
                   f"{policy.recipient_fingerprint(h.recipient.text)}")


def _signing_key(text: str, where: str) -> str:
    try:
        return sshkey.ed25519_public_text(text)
    except sshkey.SSHKeyFormatError:
        raise SaikenError("署名鍵は ssh-ed25519 の公開鍵（…pub ファイルの 1 行）です。", where=where,
                          hint="ssh-keygen -t ed25519 -f ~/.ssh/saiken_signing で作り、"
                               "--signing-key \"$(cat ~/.ssh/saiken_signing.pub)\" と指定します（docs/keys.md）。") from None


def _done(root: Path, text: str, message: str) -> None:
    """Say what was changed, then commit it as a change to the rules (signed when this user may)."""
    click.echo(text)
    click.echo(commit_rule_change(root, [FILE], message))


@handler.command()
@click.option("--id", "handler_id", required=True, help="取扱者 ID（英小文字・数字・ハイフン）。")
@click.option("--name", required=True, help="取扱者の氏名。")
@click.option("--org", type=click.Choice(policy.ORGANISATIONS), required=True, help="甲（区）または乙（受託者）。")
@click.option("--role", type=click.Choice(policy.ROLES), required=True, help="取扱責任者 または 取扱者。")
@click.option("--key", "public_key", required=True, help="公開鍵（age1… または ssh-ed25519 …）。")
@click.option("--email", default=None, help="この取扱者が git のコミットに使うメールアドレス。")
@click.option("--ssh-key", "ssh_key", default=None,
              help="記録サーバ（gitolite）への接続に使う SSH 公開鍵（ssh-ed25519 …）。ないとサーバに接続できません。")
@click.option("--designated", type=DATE, default=None, help="指定日（既定は今日）。")
@click.option("--signing-key", default=None,
              help="git のコミットに署名する ssh-ed25519 の公開鍵（甲の取扱者が規則の変更に署名するため）。")
def add(handler_id: str, name: str, org: str, role: str, public_key: str, email: str | None,
        ssh_key: str | None, designated: dt.datetime | None, signing_key: str | None) -> None:
    """取扱者を指定し、policies/handlers.yaml に登録します。

    公開鍵は本人が `saiken keygen` で作って渡したもの（age1…）か、ssh-ed25519 の公開鍵
    （~/.ssh/id_ed25519.pub の 1 行）です。秘密鍵は受け取らないでください。
    登録後は `saiken rekey` で全記録をこの取扱者にも読めるよう暗号化し直してください。

    取扱者の登録は規則の変更です。甲の有効な取扱者の署名付きコミットでなければサーバで受け付け
    られません。この端末の署名鍵（git の user.signingkey）が甲の取扱者のものなら署名付きで
    コミットし、そうでなければ誰が何をすればよいかを表示します（docs/keys.md）。

    \b
    例:
      saiken handler add --id otsu-02 --name "乙野 花子" --org 乙 --role 取扱者 \\
          --key age1... --email hanako@example.jp
      saiken handler add --id kou-01 --name "甲野 太郎" --org 甲 --role 取扱責任者 \\
          --key "$(cat ~/.ssh/id_ed25519.pub)" --ssh-key "$(cat ~/.ssh/id_ed25519.pub)" \\
          --signing-key "$(cat ~/.ssh/saiken_signing.pub)"
    """
    if not _ID.match(handler_id):
        raise SaikenError(f"取扱者 ID「{handler_id}」は使えません（英小文字・数字・ハイフン、2〜32 文字）。",
                          where="--id", hint="例: --id otsu-02")
    name = _clean_name(name)
    if email is not None and not _EMAIL.match(email):
        raise SaikenError(f"メールアドレスの形式が正しくありません: {email}", where="--email")
    key = crypto.RecipientKey.parse(public_key, where="--key")
    signs = _signing_key(signing_key, "--signing-key") if signing_key is not None else None
    root, path, doc = _load()
    _check_new(doc, handler_id, key, email)
    entry: dict[str, Any] = {"id": handler_id, "name": name, "organisation": org, "role": role,
                             "public_key": key.text}
    if email:
        entry["email"] = email
    if ssh_key:
        entry["ssh_key"] = policy.ssh_login_key(ssh_key, "--ssh-key")
    if signs:
        entry["signing_key"] = signs
    entry.update({"designated": designated.date() if designated else dt.date.today(), "reported": None,
                  "active": True})
    doc["handlers"].append(entry)
    _save(path, doc)
    _done(root, f"取扱者「{handler_id}」（{org}・{role}・{key.kind}）を登録しました。"
                "`saiken rekey` で全記録を暗号化し直してください。", f"取扱者 {handler_id} を指定")


def _find(doc: Any, handler_id: str) -> Any:
    for h in doc["handlers"]:
        if isinstance(h, dict) and h.get("id") == handler_id:
            return h
    known = ", ".join(str(h.get("id")) for h in doc["handlers"] if isinstance(h, dict)) or "（なし）"
    raise SaikenError(f"取扱者「{handler_id}」は登録されていません（登録済み: {known}）。", where=FILE,
                      hint="saiken handler list")


@handler.command()
@click.argument("handler_id")
@click.option("--on", "on", type=DATE, default=None, help="解除日（既定は今日）。")
def deactivate(handler_id: str, on: dt.datetime | None) -> None:
    """取扱者の指定を解除します（記録はその人宛てには暗号化されなくなります）。

    解除後は必ず `saiken rekey` を実行してください。過去のコミットに残る暗号文は、解除された
    取扱者の鍵でも開けるままです（docs/handlers.md 参照）。最後の有効な取扱者は解除できません。

    \b
    例:
      saiken handler deactivate otsu-02
      saiken handler deactivate otsu-02 --on 2022-03-31
    """
    root, path, doc = _load()
    entry = _find(doc, handler_id)
    if not entry.get("active", True):
        raise SaikenError(f"取扱者「{handler_id}」は既に解除されています。", where=FILE)
    when = on.date() if on else dt.date.today()
    designated = entry.get("designated")
    if isinstance(designated, dt.date) and when < designated:
        raise SaikenError(f"解除日 {when} が指定日 {designated} より前です。", where="--on")
    others = [h for h in doc["handlers"] if isinstance(h, dict) and h is not entry and h.get("active", True)]
    if not others:
        raise SaikenError("有効な取扱者がいなくなるため解除できません（記録を誰にも暗号化できなくなります）。",
                          where=FILE, hint="先に後任を `saiken handler add` で登録してください。")
    entry["active"] = False
    entry["deactivated"] = when
    _save(path, doc)
    if entry.get("role") == "取扱責任者" and not any(
            h.get("role") == "取扱責任者" and h.get("organisation") == entry.get("organisation") for h in others):
        click.echo(f"注意: {entry.get('organisation')} の有効な取扱責任者がいなくなりました。"
                   "後任を `saiken handler add --role 取扱責任者 …` で指定してください。", err=True)
    _done(root, f"取扱者「{handler_id}」の指定を解除しました。`saiken rekey` で全記録を暗号化し直してください。",
          f"取扱者 {handler_id} の指定を解除")


@handler.command("signing-key")
@click.argument("handler_id")
@click.option("--key", "signing_key", required=True, help="ssh-ed25519 の公開鍵（…pub ファイルの 1 行）。")
def signing_key_(handler_id: str, signing_key: str) -> None:
    """取扱者の署名鍵（git のコミットに署名する ssh-ed25519 の鍵）を登録し、または取り替えます。

    規則（policies/・ledger/consents.yaml など）を変えるコミットは、甲の有効な取扱者がこの鍵で
    署名したものだけがサーバで受け付けられます。鍵は本人が作り、公開鍵（.pub）だけを渡します。
    登録も規則の変更なので、すでに署名鍵のある甲の取扱者の署名付きコミットで行います（docs/keys.md）。

    \b
    例:
      ssh-keygen -t ed25519 -f ~/.ssh/saiken_signing
      saiken handler signing-key kou-01 --key "$(cat ~/.ssh/saiken_signing.pub)"
    """
    key = _signing_key(signing_key, "--key")
    root, path, doc = _load()
    entry = _find(doc, handler_id)
    for h in doc["handlers"]:
        if isinstance(h, dict) and h is not entry and str(h.get("signing_key") or "").split()[:2] == key.split():
            raise SaikenError(f"この署名鍵は取扱者「{h.get('id')}」に登録済みです。", where=FILE,
                              hint="署名鍵は 1 人 1 つです。本人が作った別の鍵を指定してください。")
    entry["signing_key"] = key
    _save(path, doc)
    _done(root, f"取扱者「{handler_id}」の署名鍵（{sshkey.fingerprint(key)}）を登録しました。",
          f"取扱者 {handler_id} の署名鍵を登録")


@handler.command("ssh-key")
@click.argument("handler_id")
@click.option("--key", "key", default=None, help="新しい SSH 公開鍵（ssh-ed25519 … の 1 行）。")
@click.option("--remove", is_flag=True, help="SSH 鍵を消し、記録サーバに接続できないようにします。")
def ssh_key_command(handler_id: str, key: str | None, remove: bool) -> None:
    """取扱者が記録サーバ（gitolite）に接続する SSH 公開鍵を登録・交換・削除します。

    policies/handlers.yaml の ssh_key を書き換えます。コミットしてサーバに push すると、その push が
    受け取られた時点でサーバの接続の設定が作り直され、古い鍵では接続できなくなります
    （docs/procedures/server.md）。

    \b
    例:
      saiken handler ssh-key otsu-02 --key "$(cat ~/.ssh/id_ed25519.pub)"
      saiken handler ssh-key otsu-02 --remove
    """
    if remove == (key is not None):
        raise SaikenError("--key と --remove のどちらか一方を指定してください。", where="saiken handler ssh-key",
                          hint=f'saiken handler ssh-key {handler_id} --key "$(cat ~/.ssh/id_ed25519.pub)"')
    root, path, doc = _load()
    entry = _find(doc, handler_id)
    if remove:
        entry.pop("ssh_key", None)
    else:
        entry["ssh_key"] = policy.ssh_login_key(key, "--key")
    _save(path, doc)
    done = "削除しました" if remove else "登録しました"
    _done(root, f"取扱者「{handler_id}」の SSH 鍵を{done}。記録サーバに push すると反映されます。",
          f"取扱者 {handler_id} の SSH 鍵を{'削除' if remove else '登録'}")
