"""The command line: one click group, one error boundary. Commands live in saiken/commands/.

No logic here: each command module is a thin layer over the library, and every SaikenError
raised below becomes a Japanese message on stderr and a non-zero exit code – never a traceback.
click's usage errors are put in Japanese (saiken.cli_errors); an OSError or a bug that escapes a
module still ends in a Japanese message, and SAIKEN_DEBUG=1 shows its traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence
from importlib import import_module
from pathlib import Path

import click

from saiken import __version__
from saiken.cli_errors import no_terminal_message, render_usage_error, with_usage_hint
from saiken.cli_help import HelpContext, japanese_help, placeholder
from saiken.errors import DEBUG_ENV, SaikenError, os_reason, render_internal_error, render_os_error

# name -> (module under saiken.commands, attribute[, parent group]) – one line per command.
# Modules are imported only when their command runs, so `saiken git textconv` and the commit
# hooks don't pay for importing every command.
COMMANDS: dict[str, tuple[str, ...]] = {
    "keygen": ("keys", "keygen"),
    "handler": ("handler", "handler"),
    "case": ("case", "case"),
    "limitation": ("limitation", "limitation_command", "case"),
    "allocation": ("allocation", "allocation_command", "case"),
    "log": ("work", "log_command", "case"),
    "pay": ("work", "pay_command", "case"),
    "worklist": ("work", "worklist_command"),
    "git-setup": ("git", "git_setup"),
    "git": ("git", "git_group"),
    "init": ("init", "init"),
    "demo": ("init", "demo"),
    "doc": ("doc", "doc"),
    "rekey": ("rekey", "rekey"),
    "records": ("records", "records_group"),
    "recipients": ("recipients", "recipients"),
    "check": ("check", "check"),
    "hook": ("hook", "hook"),
    "council": ("council", "council_group"),
    "site": ("site", "site_group"),
    "ledger": ("ledger", "ledger"),
    "handover": ("evidence", "handover", "ledger"),
    "return": ("evidence", "return_", "ledger"),
    "audit": ("evidence", "audit", "ledger"),
    "training": ("evidence", "training", "ledger"),
    "consent": ("evidence", "consent", "ledger"),
    "report": ("report", "report"),
    "incident": ("incident", "incident"),
    "erase": ("erase", "erase"),
    "export": ("export_medium", "export"),
    "access-log": ("access_log", "access_log"),
    "server": ("server", "server"),
}


def _load(name: str) -> click.Command:
    module, attr, *_ = COMMANDS[name]
    command: click.Command = getattr(import_module(f"saiken.commands.{module}"), attr)
    if isinstance(command, click.Group):
        for child, (cmod, cattr, *parent) in COMMANDS.items():
            if parent and parent[0] == name and child not in command.commands:
                command.add_command(getattr(import_module(f"saiken.commands.{cmod}"), cattr), child)
    return command


class _LazyGroup(click.Group):
    context_class = HelpContext

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n, entry in COMMANDS.items() if len(entry) == 2)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        return japanese_help(_load(cmd_name)) if entry and len(entry) == 2 else None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="saiken", message="%(prog)s バージョン %(version)s",
                      help="バージョンを表示して終了します。")
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path), metavar=placeholder("directory"),
              help="このフォルダ（記録リポジトリ）で実行します。")
def cli(directory: Path | None) -> None:
    """saiken – 奨学資金貸付金の債権回収委託で扱う個人情報を、age で暗号化して Git で管理します。

    \b
    例:
      saiken demo ~/saiken-demo      架空の事案 20 件でデモ用リポジトリを作る
      saiken case list               事案の一覧（氏名は出しません）
      saiken case show C-AB12CD34    1 件を復号して表示する
    """
    os.umask(0o077)
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:
            raise SaikenError(f"フォルダに移動できません（{os_reason(exc)}）。", where=str(directory)) from None


def command_label(args: Sequence[str]) -> str:
    """The command as the access log names it: its words and the names of the options given, never
    a value (`case log C-1 --note …` → `case log --note`; `doc dunning C-1` → `doc 督促状`)."""
    words: list[str] = []
    command: click.Command = cli
    ctx = click.Context(cli)
    rest = list(args)
    while rest:
        token = rest.pop(0)
        option = _option(command, token.split("=", 1)[0]) if token.startswith("-") else None
        if option is not None:
            words.append(token.split("=", 1)[0])
            if not option.is_flag and not option.count and "=" not in token and rest:
                rest.pop(0)  # its value
            continue
        sub = command.get_command(ctx, token) if isinstance(command, click.Group) and not token.startswith("-") else None
        if sub is not None:
            words.append(sub.name or token)
            command = sub
    return " ".join(words)


def _option(command: click.Command, name: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        cli.main(args=args, prog_name="saiken", standalone_mode=False)
    except SaikenError as exc:
        click.echo(with_usage_hint(exc, args, cli).render(), err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo(no_terminal_message(args, cli) if not sys.stdin.isatty() else "中断しました。", err=True)
        return 130
    except click.exceptions.NoArgsIsHelpError as exc:  # `saiken case` alone: its help, exit 2
        exc.show()
        return exc.exit_code
    except click.UsageError as exc:
        click.echo(render_usage_error(exc, args, cli), err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("中断しました。", err=True)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 1
    except Exception as exc:  # noqa: BLE001 - the last boundary: never a traceback for staff
        if os.environ.get(DEBUG_ENV):
            raise
        click.echo(render_os_error(exc) if isinstance(exc, OSError) else render_internal_error(exc), err=True)
        return 1
    return 0
