"""gitolite's access rules and keys for the records repository, from policies/handlers.yaml.

A designation is the only way in (特記事項13): the active handlers with an `ssh_key` are gitolite
users named by their handler id; everyone else – a deactivated handler, an unknown key, gitolite's
own admin, a `repo @all` rule somewhere else in the conf – is refused, reads included
(`option deny-rules = 1` and a final `- = @all`). Nobody rewinds or deletes a branch or tag
(RW, never RW+): the protected branch's history is the trusted base of every later push.

policies/ is the contract as data: only 甲 handlers may change it. The VREF `SAIKEN-POLICY`
(saiken.server.scripts) names each policy file a push changes; the rules let 甲 handlers through
and refuse everyone else, with a Japanese reason. The signature check of the pre-receive hook comes
on top of this.
"""

from __future__ import annotations

from dataclasses import dataclass

from saiken.core.policy import Handler

VREF = "SAIKEN-POLICY"
PRE_RECEIVE = "saiken-pre-receive"
POST_RECEIVE = "saiken-post-receive"
HANDLERS_GROUP = "@saiken-handlers"
KOU_GROUP = "@saiken-kou"


@dataclass(frozen=True)
class Grant:
    """What the server gives one handler, and why (shown by `saiken server access`)."""

    handler: Handler
    read_write: bool
    policies: bool
    reason: str


def grants(handlers: list[Handler]) -> list[Grant]:
    out = []
    for h in handlers:
        if not h.active:
            out.append(Grant(h, False, False, "指定解除"))
        elif not h.ssh_key:
            out.append(Grant(h, False, False, "ssh_key なし"))
        else:
            kou = h.organisation == "甲"
            out.append(Grant(h, True, kou, "読み書き・policies/ の変更" if kou else "読み書き（policies/ は変更不可）"))
    return out


def users(handlers: list[Handler]) -> list[Handler]:
    """The handlers the server lets in: active, with a login key."""
    return [g.handler for g in grants(handlers) if g.read_write]


def conf_text(repo: str, handlers: list[Handler], source: str) -> str:
    """The gitolite rules for `repo` (conf/saiken/<repo>.conf), saying where they came from."""
    allowed = users(handlers)
    kou = [h.id for h in allowed if h.organisation == "甲"]
    lines = [
        f"# saiken server が {source} から作りました。手で書き換えないでください",
        "# （次に受け取った push で作り直されます。取扱者の追加・解除は saiken handler で行い、push します）。",
        "",
    ]
    if allowed:
        lines.append(f"{HANDLERS_GROUP:<18} = " + " ".join(h.id for h in allowed))
    if kou:
        lines.append(f"{KOU_GROUP:<18} = " + " ".join(kou))
    lines += [
        "",
        f"repo {repo}",
        "    option deny-rules = 1",
        f"    option hook.pre-receive = {PRE_RECEIVE}",
        f"    option hook.post-receive = {POST_RECEIVE}",
    ]
    # first match wins, and with deny-rules a read is decided by the first rule that names the user:
    # the handlers' own rules, then everyone else refused (refs/.*), then the VREF's rules – which
    # only the VREF's own lines (VREF/SAIKEN-POLICY/<path>) reach
    if allowed:
        lines += [f"    RW      refs/heads/            = {HANDLERS_GROUP}",
                  f"    RW      refs/tags/             = {HANDLERS_GROUP}"]
    lines.append("    -                              = @all")
    if kou:
        lines.append(f"    RW      VREF/{VREF}     = {KOU_GROUP}")
    lines += [f"    -       VREF/{VREF}     = @all", ""]
    return "\n".join(lines)


def key_files(handlers: list[Handler]) -> dict[str, str]:
    """keydir/saiken/<id>.pub for each handler the server lets in: one key line each."""
    return {f"{h.id}.pub": f"{h.ssh_key} {h.id}\n" for h in users(handlers)}
