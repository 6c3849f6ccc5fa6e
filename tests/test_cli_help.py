"""Every command has Japanese help text that ends with an example (DEVELOPERS.md: docs)."""

from __future__ import annotations

import re
import shlex

import click
import click.testing
import pytest

from saiken.cli import COMMANDS, _load, cli


def _walk(command: click.Command, path: str):  # type: ignore[no-untyped-def]
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            assert sub is not None, f"{path} {name}"
            yield from _walk(sub, f"{path} {name}")


def _all() -> list[tuple[str, click.Command]]:
    out = []
    for name, entry in COMMANDS.items():
        if len(entry) == 2:
            out.extend(_walk(_load(name), f"saiken {name}"))
    return out


@pytest.mark.parametrize("path,command", _all(), ids=lambda v: v if isinstance(v, str) else "")
def test_command_documents_an_example(path: str, command: click.Command) -> None:
    if command.hidden:
        return  # drivers called by git, not by people
    assert command.help and "例:" in command.help, f"{path} needs help text with 例: and an example"
    assert "saiken" in command.help.split("例:", 1)[1], f"{path}: the example should show a saiken command"


def test_top_level_help_lists_every_visible_command() -> None:
    listed = cli.list_commands(click.Context(cli))
    assert set(listed) == {n for n, e in COMMANDS.items() if len(e) == 2}


def test_every_visible_option_says_what_it_is() -> None:
    missing = [f"{path} {max(p.opts, key=len)}" for path, command in _all() if not command.hidden
               for p in command.params if isinstance(p, click.Option) and not p.hidden and not p.help]
    assert not missing, f"options without help text: {missing}"


def _examples(command: click.Command) -> list[str]:
    """The `saiken …` lines after 例:, continuation lines joined, the description and any shell
    redirection cut off (a description follows two spaces or more, an option never does)."""
    text = re.sub(r"\\\n\s*", " ", (command.help or "").split("例:", 1)[-1])
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("saiken ")]
    return [re.split(r"\s{2,}(?!-)|\s+<\s", line)[0] for line in lines]


@pytest.mark.parametrize("path,command", _all(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_example_is_a_valid_command_line(path: str, command: click.Command) -> None:
    """An example names existing subcommands and options with values of the right form; only
    files it names need not exist here (an option renamed without its example fails this)."""
    if command.hidden:
        return
    for example in _examples(command):
        args = shlex.split(example)[1:]
        target: click.Command = cli
        while isinstance(target, click.Group) and args:
            if args[0] == "-C":
                args = args[2:]
                continue
            sub = target.get_command(click.Context(target), args[0])
            assert sub is not None, f"{path}: {example}: no command {args[0]}"
            target, args = sub, args[1:]
        try:
            target.make_context(target.name or "", args)
        except click.BadParameter as exc:
            assert exc.param is not None and isinstance(exc.param.type, click.Path), f"{path}: {example}: {exc}"
        except click.UsageError as exc:
            pytest.fail(f"{path}: {example}: {exc.format_message()}")


_JOIN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff、。）」] [\u3040-\u30ff\u4e00-\u9fff（「]")


def test_help_pages_are_japanese_and_keep_their_lines() -> None:
    """click rewraps a paragraph by joining its lines with spaces; in Japanese that leaves a space
    where a source line ended (「その場で 知らせます」). Each command's help, as `--help` prints it,
    has no space between Japanese characters that its source text does not have."""
    stray = {}
    for path, command in _all():
        if command.hidden:
            continue
        result = click.testing.CliRunner().invoke(cli, [*path.split()[1:], "--help"], terminal_width=100)
        assert result.exit_code == 0, (path, result.output)
        source = " ".join([command.help or "", *(getattr(p, "help", None) or "" for p in command.params)])
        found = [m.group() for m in _JOIN.finditer(result.output) if m.group() not in source]
        # click's own words are in Japanese too, and a command's one-line summary in its group's
        # list is a whole sentence with its brackets closed
        found += [w for w in ("Usage:", "Options:", "Commands:", "Show this message", "[default:", "[required")
                  if w in result.output]
        listed = result.output.split("コマンド:\n", 1)[1] if "コマンド:\n" in result.output else ""
        found += [line for line in listed.splitlines() if line.count("（") != line.count("）")]
        if found:
            stray[path] = found
    assert not stray, stray
