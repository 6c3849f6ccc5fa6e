"""Help pages for ward staff, in Japanese and laid out in terminal columns.

click writes its own words (Usage, Options, default, TEXT, INTEGER, 1<=x<=100000) in English and
measures text in characters, so a full-width character, which takes two columns, misaligns its
columns and overruns the line. Here click's words are put in Japanese, every placeholder of a value
is Japanese, and text is measured and wrapped in terminal columns (saiken.textwidth): a Japanese
paragraph's source lines are joined without the stray space click would put where a line ended
(「その場で 知らせます」) and broken where Japanese allows (禁則), never inside an English word.
A paragraph marked with click's \\b (examples, lists) keeps its lines as written.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import click

from saiken.textwidth import width, wrap

_JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")

# click's own words in a help page, in Japanese
_HEADINGS = {"Options": "オプション", "Commands": "コマンド", "Arguments": "引数"}
_OWN_TEXT = {"Show this message and exit.": "この説明を表示して終了します。",
             "Show the version and exit.": "バージョンを表示して終了します。"}
_EXTRAS = re.compile(r"\[((?:default: |env var: |required|-?[\d.]+<|x[<>])[^\[\]]*)\]$")
# click's description of a range (IntRange): 1<=x<=100000, x>=1, 0<x<1
_RANGE = re.compile(r"(?:(-?[\d.]+)(<=?))?x(?:(<=?|>=?)(-?[\d.]+))?")

# the placeholder of an argument, by its name (click would show the name in capitals: CASE_ID)
_ARGUMENTS = {"case_id": "事案番号", "files": "ファイル", "directory": "フォルダ", "handler_id": "取扱者ID",
              "incident_id": "事故番号", "message_file": "メッセージのファイル", "remote": "リモート名",
              "url": "URL", "commit": "コミット", "markdown": "Markdownファイル", "base": "共通の祖先",
              "ours": "こちらの版", "theirs": "相手の版", "path": "パス", "file": "ファイル"}


def placeholder(name: str) -> str:
    return _ARGUMENTS[name]


def _type_placeholder(kind: click.ParamType) -> str | None:
    """The Japanese for click's placeholder of a value of this type (TEXT, INTEGER, PATH …)."""
    if isinstance(kind, (click.IntRange, click.types.IntParamType)):
        return "整数"
    if isinstance(kind, (click.FloatRange, click.types.FloatParamType)):
        return "数値"
    if isinstance(kind, click.Path):
        return "フォルダ" if not kind.file_okay else "ファイル" if not kind.dir_okay else "パス"
    if isinstance(kind, click.File):
        return "ファイル"
    if isinstance(kind, click.types.BoolParamType):
        return "はい/いいえ"
    if isinstance(kind, click.types.StringParamType):
        return "文字列"
    return None  # Choice shows its choices; saiken's own types name their form (YYYY-MM-DD)


def _japanese_placeholders(command: click.Command) -> None:
    for param in command.params:
        if param.metavar is not None:
            continue
        if isinstance(param, click.Argument) and param.name in _ARGUMENTS:
            name = _ARGUMENTS[param.name] if param.required else f"[{_ARGUMENTS[param.name]}]"
            param.metavar = name + ("..." if param.nargs != 1 else "")
        elif not getattr(param, "is_flag", False) and not getattr(param, "count", False):
            param.metavar = _type_placeholder(param.type)


def _range(m: re.Match[str]) -> str:
    low, low_op, high_op, high = m.groups()
    if low is not None and high is not None:
        return f"{low}〜{high}" if (low_op, high_op) == ("<=", "<=") else f"{low}{low_op}x{high_op}{high}"
    if high is not None:
        return {">=": f"{high}以上", ">": f"{high}より大", "<=": f"{high}以下", "<": f"{high}未満"}[high_op]
    return m.group()


def _extra(part: str) -> str:
    for english, japanese in (("default: ", "既定: "), ("env var: ", "環境変数: ")):
        if part.startswith(english):
            return japanese + part[len(english):]
    return "必須" if part == "required" else _RANGE.sub(_range, part)


def _own(text: str) -> str:
    """click's words in an option's help text, in Japanese: its own help texts and the bracket it
    appends ([default: 5; 1<=x<=21; required] becomes [既定: 5、1〜21、必須])."""
    text = _OWN_TEXT.get(text, text)
    m = _EXTRAS.search(text)
    if m is None:
        return text
    return text[:m.start()] + "[" + "、".join(_extra(p) for p in m.group(1).split("; ")) + "]"


_TIGHT = set("（「『、。・）」』")


def _joined(lines: str) -> str:
    """Lines of a paragraph as one line: no space where a line ended between Japanese, one where an
    English word meets Japanese (as the source writes 「鍵を持つ CI の」), none at a bracket."""
    out = ""
    for line in (part.strip() for part in lines.splitlines()):
        if out and line:
            both = _JAPANESE.match(line) and _JAPANESE.search(out[-1])
            out += "" if both or out[-1] in _TIGHT or line[0] in _TIGHT else " "
        out += line
    return out


_MARKERS = ("- ", "・", "* ", "→", "saiken ", "例:")


def _is_prose(lines: list[str]) -> bool:
    """Running text, not a list, a table or examples: one indent, no markers, no aligned columns."""
    indents = {len(line) - len(line.lstrip(" ")) for line in lines}
    stripped = [line.strip() for line in lines]
    return (len(indents) == 1 and not any(line.startswith(_MARKERS) or "  " in line for line in stripped)
            and not stripped[0].endswith((":", "："))
            and not any(re.match(r"\(?\d+[.)）]", line) for line in stripped))


def _laid_out(paragraph: str, columns: int) -> list[str]:
    """A paragraph's lines: as written when they fit (\\b or not), else running text rewrapped."""
    lines = [line for line in paragraph.split("\n") if line.strip() != "\b"]
    if not lines or all(width(line) <= columns for line in lines) or not _is_prose(lines):
        return lines
    indent = len(lines[0]) - len(lines[0].lstrip(" "))
    return [" " * indent + line for line in wrap(_joined("\n".join(lines)), max(columns - indent, 10))]


class Formatter(click.HelpFormatter):
    """click's formatter, measuring in terminal columns and speaking Japanese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args.replace("[OPTIONS]", "[オプション]").replace("COMMAND [ARGS]...", "コマンド [引数]..."),
                            "使い方: " if prefix is None else prefix)

    def section(self, name: str) -> Any:
        return super().section(_HEADINGS.get(name, name))

    def _lines(self, text: str, columns: int) -> list[str]:
        lines: list[str] = []
        for paragraph in text.split("\n\n"):
            lines += _laid_out(paragraph, columns) + [""]
        return lines[:-1]

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write("\n".join(indent + line if line else "" for line in self._lines(text, self.width - self.current_indent)))
        self.write("\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(term, _own(text)) for term, text in rows]
        first = min(max((width(term) for term, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for term, text in rows:
            self.write(indent + term)
            if not text:
                self.write("\n")
                continue
            if width(term) <= first - col_spacing:
                self.write(" " * (first - width(term)))
            else:
                self.write("\n" + indent + " " * first)
            columns = max(self.width - self.current_indent - first, 10)
            lines = (self._lines(text, columns) if text.lstrip().startswith("\b")
                     else wrap(_joined(text), columns)) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write((indent + " " * first + line if line else "") + "\n")


class HelpContext(click.Context):
    formatter_class = Formatter


def _first_sentence(text: str) -> str:
    """Up to the first 。 outside brackets (「…。」 and （…。） belong to the sentence)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "（「『(":
            depth += 1
        elif ch in "）」』)":
            depth -= 1
        elif ch == "。" and depth <= 0:
            return text[:i + 1]
    return text


def japanese_help(command: click.Command) -> click.Command:
    """Every command saiken loads formats its help with Formatter, names its values in Japanese, and
    its one-line summary in its group's list is its first sentence (click would cut it)."""
    command.context_class = HelpContext
    _japanese_placeholders(command)
    if command.short_help is None and command.help and _JAPANESE.search(command.help):
        command.short_help = _first_sentence(_joined(command.help.split("\n\n")[0]))
    for child in getattr(command, "commands", {}).values():
        japanese_help(child)
    return command
