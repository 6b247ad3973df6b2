"""Conventional `--help` text: `LIB PATH...` arguments and options without type tags.

typer 0.29 (pinned) prints an argument as `{library}` in the usage line and a type tag such as
`<bool>` or `<list[Path]>` beside every parameter. Command-line users expect the older
convention: arguments in capitals (`LIB PATH...`, optional ones in brackets), flags with no
tag, and a value option tagged with what it takes (`FLOAT`, `PATH`, `vote|bipartite`). This
module swaps the three small methods that render those pieces; if a later typer renames them,
`install()` leaves typer's own rendering in place (the help still works, only its look
changes) and the help test fails so the pin's bump is noticed.
"""

import inspect
from enum import Enum
from typing import Any

from typer import core

_NAMES = {int: "INTEGER", float: "FLOAT", str: "TEXT"}


def _capitalised(param: Any) -> str:
    """An argument's name in capitals, or its metavar when set."""
    return str(param.metavar or (param.name or "").upper())


def _argument_name(param: Any) -> str:
    """The capitalised name, with `...` when the argument takes several values."""
    name = _capitalised(param)
    return f"{name}..." if param.nargs != 1 else name


def _usage_name(self: Any) -> str:
    name = _argument_name(self)
    return name if self.required else f"[{name}]"


def _argument_tag(self: Any, ctx: Any) -> str | None:
    return None


def _option_tag(self: Any, ctx: Any) -> str | None:
    """What a value option takes; nothing for a flag."""
    if self.is_flag or self.count:
        return None
    if self.metavar is not None:
        return str(self.metavar)
    desc = self.type_descriptor
    if desc.is_choice and desc.choices is not None:
        tag = "|".join(str(c.value if isinstance(c, Enum) else c) for c in desc.choices)
    elif desc.is_path:
        tag = "PATH"
    else:
        annotation = desc.annotation
        tag = _NAMES.get(annotation, "TEXT") if isinstance(annotation, type) else "TEXT"
    return f"{tag}..." if self.nargs != 1 or self.multiple else tag


def install() -> bool:
    """Use the conventional rendering; False (and typer's own) if typer's methods moved."""
    argument, option = core.TyperArgument, core.TyperOption
    needed = [(argument, "_usage_display_name"), (argument, "display_type_rich"),
              (argument, "_rich_display_name"), (argument, "display_name_raw"),
              (option, "display_type_rich")]
    if not all(hasattr(cls, name) for cls, name in needed):
        return False
    argument._usage_display_name = _usage_name  # type: ignore[method-assign]
    argument._rich_display_name = _argument_name  # type: ignore[assignment,method-assign]
    argument.display_name_raw = property(_capitalised)  # type: ignore[assignment,method-assign]
    argument.display_type_rich = _argument_tag  # type: ignore[method-assign]
    option.display_type_rich = _option_tag  # type: ignore[method-assign]
    return True


def one_line_summaries(app: Any) -> None:
    """Give every command of `app` its docstring's first paragraph as one line in the command
    list of `vidtrace --help` (typer keeps the docstring's line breaks there, which breaks the
    sentence across rows)."""
    for info in app.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if info.short_help is None and doc:
            info.short_help = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())
