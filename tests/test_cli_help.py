"""Every command has Japanese help text that ends with an example (DEVELOPERS.md: docs)."""

from __future__ import annotations

import re
import shlex
import unicodedata

import click
import click.testing
import pytest

from saiken import __version__
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
        body = result.output.split("\n", 1)[1]  # the usage line's placeholders are words apart
        found = [m.group() for m in _JOIN.finditer(body) if m.group() not in source]
        # click's own words are in Japanese too, and a command's one-line summary in its group's
        # list is a whole sentence with its brackets closed
        found += [w for w in ("Usage:", "Options:", "Commands:", "Show this message", "[default:", "[required")
                  if w in result.output]
        listed = result.output.split("コマンド:\n", 1)[1] if "コマンド:\n" in result.output else ""
        entries = re.split(r"\n(?=  \S)", listed)  # a summary may go on in the next lines
        found += [e for e in entries if e.count("（") != e.count("）")]
        if found:
            stray[path] = found
    assert not stray, stray


# --- what the help pages look like in a terminal -----------------------------------------------------

def _rendered(columns: int) -> list[tuple[str, click.Command, str]]:
    """Every visible help page as a terminal `columns` wide shows it (click leaves the last 2 free)."""
    pages = []
    for path, command in [("saiken", cli), *_all()]:
        if command.hidden:
            continue
        result = click.testing.CliRunner().invoke(cli, [*path.split()[1:], "--help"], terminal_width=columns - 2)
        assert result.exit_code == 0, (path, result.output)
        pages.append((path, command, result.output))
    return pages


def _source(command: click.Command) -> str:
    return "\n".join([command.help or "", *(getattr(p, "help", None) or "" for p in command.params)])


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_CLICK_ENGLISH = re.compile(r"\b(?:TEXT|INTEGER|FLOAT|PATH|FILE|FILENAME|DIRECTORY|BOOLEAN|RANGE|CHOICE)\b"
                            r"|<=|>=|\bx<|\bx>|Usage|Options|Commands|Arguments|default|required|env var|Show ")


@pytest.mark.parametrize("columns", [80, 100])
def test_help_speaks_no_english_of_clicks_own(columns: int) -> None:
    """Placeholders (TEXT, INTEGER, PATH, CASE_ID), ranges (1<=x<=100000) and click's words are Japanese."""
    found = {}
    for path, _, output in _rendered(columns):
        words = _CLICK_ENGLISH.findall(output)
        usage = output.splitlines()[0]
        words += [w for w in re.findall(r"\b[A-Z][A-Z_]+\b", usage) if w != "URL"]
        if words:
            found[path] = words
    assert not found, found
    demo = dict((p, o) for p, _, o in _rendered(columns))["saiken demo"]
    assert "--cases 整数" in demo and "[既定: 20、1〜100000]" in demo


def test_version_is_japanese() -> None:
    result = click.testing.CliRunner().invoke(cli, ["--version"])
    assert result.output == f"saiken バージョン {__version__}\n"


@pytest.mark.parametrize("columns", [80, 100])
def test_help_fits_the_terminal(columns: int) -> None:
    """Every line fits, measured in terminal columns (a full-width character takes two); only an
    example line longer than the terminal is shown as written."""
    over = [(path, line) for path, command, output in _rendered(columns) for line in output.splitlines()
            if _width(line) > columns - 2 and line.strip() not in _source(command)]
    assert not over, over


@pytest.mark.parametrize("columns", [80, 100])
def test_definition_columns_line_up(columns: int) -> None:
    """In the option and command lists, every description starts in the same terminal column – also
    after a long Japanese name (saiken doc: 保証債務履行請求書, 交渉記録報告書)."""
    crooked = {}
    for path, _, output in _rendered(columns):
        for section in re.findall(r"^(?:オプション|コマンド):\n((?:  .*\n?)+)", output, re.M):
            starts = set()
            for line in section.splitlines():
                m = re.match(r"  (\S+(?: \S+)*?)( {2,})(\S.*)", line)
                if m and not line.startswith("   "):
                    starts.add(_width(m.group(1)) + len(m.group(2)) + 2)
            if len(starts) > 1:
                crooked[path] = sorted(starts)
    assert not crooked, crooked
    doc = dict((p, o) for p, _, o in _rendered(columns))["saiken doc"]
    assert "  督促状              督促状" in doc and "  保証債務履行請求書  連帯保証人" in doc


def _natural(before: str, after: str) -> bool:
    """Where a Japanese line may end without cutting a word: after punctuation, before an opening
    bracket, at a space (between an English word and Japanese), or where hiragana (a particle, an
    ending) meets the next word."""
    hiragana = lambda c: "\u3041" <= c <= "\u309f"  # noqa: E731
    return (before in "、。）」』〕・" or after in "（「『〔" or before.isascii() != after.isascii()
            or before.isascii() and after.isascii() or hiragana(before) and not hiragana(after)
            and after not in "ぁぃぅぇぉっゃゅょー")


@pytest.mark.parametrize("columns", [80, 100])
def test_wrapped_lines_break_between_words(columns: int) -> None:
    """Where the help wraps a sentence, it does not cut a word (「出力がログに残 / るとき」, check --help)."""
    cuts = []
    for path, command, output in _rendered(columns):
        source = [line.strip() for line in _source(command).splitlines()]
        lines = [line.rstrip() for line in output.splitlines()]
        for a, b in zip(lines, lines[1:]):
            a, b = a.strip(), b.strip()
            if not a or not b or not any(a[-6:] + b[:6] in s or f"{a[-6:]} {b[:6]}" in s for s in source):
                continue  # a line break of the source, not one the help made
            if not _natural(a[-1], b[0]):
                cuts.append((path, a[-8:], b[:8]))
    assert not cuts, cuts
    check = dict((p, o) for p, _, o in _rendered(columns))["saiken check"]
    assert "ログに残るとき" in check.replace("\n", "").replace(" ", "")
