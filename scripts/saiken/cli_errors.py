"""What the command line prints when it was called wrong.

click's own messages are English ("Missing argument 'CASE_ID'."); staff get them here in Japanese,
in the shape of SaikenError.render(): what is wrong and where (the command, the option), then the
command that shows the right usage and its examples.
"""

from __future__ import annotations

import re

import click

from saiken.errors import SaikenError


def render_usage_error(exc: click.UsageError, argv: list[str], root: click.Group) -> str:
    """A click usage error (unknown command or option, missing or bad value) in Japanese."""
    path = _command_path(exc.ctx, argv, root)
    message = _usage_message(exc)
    hint = (f"`{path} --help` で使い方と例を確かめてください。" if not isinstance(exc, click.NoSuchCommand)
            else f"`{path} --help` でコマンドの一覧を確かめてください。")
    return f"エラー: {path}: {message}\n対処: {hint}"


def with_usage_hint(exc: SaikenError, argv: list[str], root: click.Group) -> SaikenError:
    """An error about an option's value that names no fix gets the command's help as its fix
    (the help shows the option's form and examples)."""
    about_option = (exc.where or "").startswith("--") or exc.message.startswith("--")
    if exc.hint is None and about_option:
        exc.hint = f"`{_command_path(None, argv, root)} --help` で使い方と例を確かめてください。"
    return exc


def no_terminal_message(argv: list[str], root: click.Group) -> str:
    """A question (click.confirm/prompt) met the end of the input: run without a terminal."""
    path = _command_path(None, argv, root)
    return (f"エラー: {path}: 確認の質問に答えられないため、中止しました（端末から実行されていません）。\n"
            f"対処: 端末から実行するか、質問を省くオプション（--yes など）を付けてください（`{path} --help`）。")


def _usage_message(exc: click.UsageError) -> str:
    if isinstance(exc, click.NoSuchCommand):
        return f"「{exc.command_name}」というコマンドはありません。" + _did_you_mean(exc.possibilities)
    if isinstance(exc, click.NoSuchOption):
        return f"「{exc.option_name}」というオプションはありません。" + _did_you_mean(exc.possibilities)
    if isinstance(exc, click.MissingParameter):
        return _missing(exc)
    if isinstance(exc, click.BadParameter):
        return f"{_param_name(exc)}: {_bad_value(exc)}"
    if isinstance(exc, click.BadOptionUsage):
        if "does not take a value" in exc.message:
            return f"{exc.option_name} には値を付けません。"
        if "requires" in exc.message:
            return f"{exc.option_name} のあとに値を書いてください。"
    extra = re.fullmatch(r"Got unexpected extra arguments? \((.*)\)", exc.message, re.S)
    if extra:
        return f"余分な引数があります（{extra[1]}）。値に空白があるときは '…' で囲んでください。"
    if exc.message == "Missing command.":
        return "サブコマンドを指定してください。"
    return exc.message if not exc.message.isascii() else f"使い方が正しくありません（{exc.message}）。"


def _did_you_mean(possibilities: list[str] | None) -> str:
    return f"もしかして: {'、'.join(possibilities)}" if possibilities else ""


def _param_name(exc: click.BadParameter) -> str:
    param = exc.param
    if param is None:
        return str(exc.param_hint or "値")
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name


def _missing(exc: click.MissingParameter) -> str:
    param = exc.param
    name = _param_name(exc)
    about = getattr(param, "help", None)
    about = f"（{about.rstrip('。')}）" if about else ""
    if isinstance(param, click.Option):
        return f"{name}{about} を指定してください。"
    return f"{name}{'' if not name[-1:].isascii() else ' '}を指定してください。"  # 事案番号を / URL を


def _bad_value(exc: click.BadParameter) -> str:
    # click's own types word it in English (quoting the value, which may be Japanese: '丙' is not
    # one of '甲', '乙'); saiken's own types and callbacks say it in Japanese already
    kind = exc.param.type if exc.param is not None else None
    if isinstance(kind, click.Choice):
        return f"値「{_quoted(exc.message)}」は使えません。次のいずれかです: {'、'.join(map(str, kind.choices))}"
    if isinstance(kind, click.IntRange):
        span = (f"{kind.min}〜{kind.max} の" if kind.min is not None and kind.max is not None
                else f"{kind.min} 以上の" if kind.min is not None else f"{kind.max} 以下の" if kind.max is not None else "")
        return f"{span}整数で書いてください（「{_quoted(exc.message)}」）。"
    if isinstance(kind, click.types.IntParamType):
        return f"整数で書いてください（「{_quoted(exc.message)}」）。"
    if isinstance(kind, click.Path):
        return _bad_path(exc.message)
    return exc.message if not exc.message.isascii() else f"値が正しくありません（{exc.message}）。"


def _bad_path(message: str) -> str:
    name = _quoted(message)
    if message.endswith("does not exist."):
        return f"「{name}」がありません。"
    if message.endswith("is a file."):
        return f"「{name}」はファイルです。フォルダを指定してください。"
    if message.endswith("is a directory."):
        return f"「{name}」はフォルダです。ファイルを指定してください。"
    if "is not" in message:
        return f"「{name}」を読み書きする権限がありません。"
    return f"「{name}」を使えません（{message}）。"


def _quoted(message: str) -> str:
    """The value click quoted in its English message ('xml' is not one of …), or the message."""
    m = re.search(r"'(.*?)'|\"(.*?)\"", message) or re.match(r"(\S+) is not", message)
    return next((g for g in m.groups() if g is not None), message) if m else message


def _command_path(ctx: click.Context | None, argv: list[str], root: click.Group) -> str:
    """`saiken case show` – from the context click gives, or from argv and the command group `root`
    when it gives none (an option missing its value is found before any context exists)."""
    if ctx is not None:
        return ctx.command_path
    words, command = ["saiken"], root
    args = iter(argv)
    for arg in args:
        if arg == "-C":
            next(args, None)
            continue
        if arg.startswith("-") or not isinstance(command, click.Group):
            continue
        sub = command.get_command(click.Context(command), arg)
        if sub is None:
            break
        words.append(arg)
        command = sub
    return " ".join(words)
