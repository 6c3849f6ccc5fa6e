"""saiken handler add|deactivate|list – the designated handlers (特記事項13)."""

from __future__ import annotations

import datetime as dt
import re

import click

from saiken import crypto, policy, yamlio
from saiken.errors import SaikenError
from saiken.records import atomic_write, find_root

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")


def _load():  # type: ignore[no-untyped-def]
    root = find_root()
    path = root / policy.HANDLERS_FILE
    doc = yamlio.rt_load(path.read_text(encoding="utf-8"), where=policy.HANDLERS_FILE)
    if doc.get("handlers") is None:
        doc["handlers"] = []
    return root, path, doc


@click.group()
def handler() -> None:
    """取扱責任者・取扱者（policies/handlers.yaml）を管理します。

    \b
    例:
      saiken handler list
      saiken handler add --id otsu-02 --name "乙野 花子" --org 乙 --role 取扱者 --key age1...
      saiken handler deactivate otsu-02
    """


@handler.command("list")
def list_() -> None:
    """指定されている取扱者の一覧を表示します。

    \b
    例:
      saiken handler list
    """
    for h in policy.load_handlers(find_root()):
        state = "有効" if h.active else "解除"
        click.echo(f"{h.id}\t{h.organisation}\t{h.role}\t{state}\t{h.name}\t{h.recipient.kind}\t"
                   f"{policy.recipient_fingerprint(h.recipient.text)}")


@handler.command()
@click.option("--id", "handler_id", required=True, help="取扱者 ID（英小文字・数字・ハイフン）。")
@click.option("--name", required=True, help="取扱者の氏名。")
@click.option("--org", type=click.Choice(policy.ORGANISATIONS), required=True, help="甲（区）または乙（受託者）。")
@click.option("--role", type=click.Choice(policy.ROLES), required=True, help="取扱責任者 または 取扱者。")
@click.option("--key", "public_key", required=True, help="公開鍵（age1… または ssh-ed25519 …）。")
@click.option("--email", default=None, help="この取扱者が git のコミットに使うメールアドレス。")
@click.option("--designated", type=click.DateTime(["%Y-%m-%d"]), default=None, help="指定日（既定は今日）。")
def add(handler_id: str, name: str, org: str, role: str, public_key: str, email: str | None,
        designated: dt.datetime | None) -> None:
    """取扱者を指定し、policies/handlers.yaml に登録します。

    登録後は `saiken rekey` で全記録をこの取扱者にも読めるよう暗号化し直してください。

    \b
    例:
      saiken handler add --id otsu-02 --name "乙野 花子" --org 乙 --role 取扱者 \\
          --key age1... --email hanako@example.jp
    """
    if not _ID.match(handler_id):
        raise SaikenError(f"取扱者 ID「{handler_id}」は使えません（英小文字・数字・ハイフン、2〜32 文字）。")
    key = crypto.RecipientKey.parse(public_key, where="--key")
    root, path, doc = _load()
    for h in doc["handlers"]:
        if h.get("id") == handler_id:
            raise SaikenError(f"取扱者 ID「{handler_id}」は既に登録されています。", where=policy.HANDLERS_FILE)
        if " ".join(str(h.get("public_key", "")).split()[:2]) == key.text:
            raise SaikenError(f"この公開鍵は取扱者「{h.get('id')}」として登録済みです。", where=policy.HANDLERS_FILE)
    entry = {"id": handler_id, "name": name, "organisation": org, "role": role, "public_key": key.text}
    if email:
        entry["email"] = email
    entry.update({"designated": (designated.date() if designated else dt.date.today()), "reported": None,
                  "active": True})
    doc["handlers"].append(entry)
    atomic_write(path, yamlio.rt_dump(doc).encode())
    policy.load_handlers(root)  # refuse to leave a file we cannot read back
    click.echo(f"取扱者「{handler_id}」を登録しました。`saiken rekey` で全記録を暗号化し直してください。")


@handler.command()
@click.argument("handler_id")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="解除日（既定は今日）。")
def deactivate(handler_id: str, on: dt.datetime | None) -> None:
    """取扱者の指定を解除します（記録はその人宛てには暗号化されなくなります）。

    解除後は必ず `saiken rekey` を実行してください。過去のコミットに残る暗号文は、解除された
    取扱者の鍵でも開けるままです（docs/keys.md 参照）。

    \b
    例:
      saiken handler deactivate otsu-02
    """
    root, path, doc = _load()
    for h in doc["handlers"]:
        if h.get("id") == handler_id:
            if not h.get("active", True):
                raise SaikenError(f"取扱者「{handler_id}」は既に解除されています。")
            h["active"] = False
            h["deactivated"] = on.date() if on else dt.date.today()
            break
    else:
        raise SaikenError(f"取扱者「{handler_id}」は登録されていません。", hint="saiken handler list")
    remaining = [h for h in doc["handlers"] if h.get("active", True)]
    if not remaining:
        raise SaikenError("有効な取扱者がいなくなるため解除できません。", hint="先に後任を `saiken handler add` で登録してください。")
    atomic_write(path, yamlio.rt_dump(doc).encode())
    click.echo(f"取扱者「{handler_id}」の指定を解除しました。`saiken rekey` で全記録を暗号化し直してください。")
