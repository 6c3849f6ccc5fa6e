"""Every command has Japanese help text that ends with an example (DEVELOPERS.md: docs)."""

from __future__ import annotations

import click
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
