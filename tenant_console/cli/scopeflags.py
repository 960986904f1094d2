"""``--DIMENSION[__LOOKUP]=VALUE`` flags, which argparse cannot declare before the project is loaded."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tenant_console.core.errors import ConsoleError

_FLAG = re.compile(r"^--([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$", re.S)


@dataclass(frozen=True)
class ScopeFlag:
    name: str  # "event__slug"
    value: str | None  # None: the flag was given without a value (an error once it is known to be a scope flag)

    @property
    def text(self) -> str:
        return f"--{self.name}={self.value}"

    @property
    def given(self) -> str:
        """The value, which a scope flag needs (``--event`` alone is a mistake, said in one paragraph)."""
        if self.value is None:
            dimension = self.name.split("__")[0]
            raise ConsoleError(
                f"The option --{self.name} needs a value, as in --{self.name}=VALUE. Scope options have the "
                f"form --DIMENSION=PK or --DIMENSION__LOOKUP=VALUE (here --{dimension}=PK or "
                f"--{dimension}__FIELD=VALUE)."
            )
        return self.value


def split_scope_flags(extras: list[str]) -> tuple[list[ScopeFlag], list[str]]:
    """Take ``--x=y`` / ``--x y`` pairs out of argparse's leftovers; return (flags, rest)."""
    flags: list[ScopeFlag] = []
    rest: list[str] = []
    i = 0
    while i < len(extras):
        arg = extras[i]
        m = _FLAG.match(arg)
        if not m:
            rest.append(arg)
            i += 1
            continue
        name, value = m.group(1), m.group(2)
        if value is None and i + 1 < len(extras) and not extras[i + 1].startswith("--"):
            value = extras[i + 1]
            i += 1
        if value == "":
            raise ConsoleError(f"The option --{name} was given an empty value.")
        flags.append(ScopeFlag(name, value))
        i += 1
    return flags, rest


def require_values(flags: list[ScopeFlag]) -> None:
    """Every scope flag needs a value (``--event`` alone is a mistake)."""
    for flag in flags:
        flag.given  # noqa: B018 (raises for a flag without a value)


def check_scope_flags(
    flags: list[ScopeFlag], dimensions: Iterable[str], options: Iterable[str], command: str, takes_scope: bool = True
) -> None:
    """Tell a mistyped option (``--serch``) from a scope flag, before anything runs.

    Everything argparse did not recognise arrives here as a possible scope flag;
    only names that start with a known dimension are one. Anything else is an
    unknown option, named with the closest real option or dimension.
    """
    dims = set(dimensions)
    opts = {o.lstrip("-") for o in options if o.startswith("--")}
    for flag in flags:
        dim = flag.name.split("__", 1)[0]
        if dim not in dims:
            close = difflib.get_close_matches(flag.name, sorted(opts | dims), n=1, cutoff=0.6)
            if close and close[0] in opts:
                hint = f" Did you mean --{close[0]}?"
            elif close:
                hint = f" Did you mean the scope option --{close[0]}=...?"
            else:
                hint = ""
            scope_hint = f" Scope options are --{'/--'.join(sorted(dims))}[__LOOKUP]=VALUE." if dims else ""
            raise ConsoleError(
                f"Unknown option --{flag.name} for '{command}'.{hint}{scope_hint} "
                f"Run 'tenant-console {command} --help' for the options."
            )
        if not takes_scope:
            raise ConsoleError(
                f"'{command}' does not take a tenant, but {flag.text} was given. "
                f"Run 'tenant-console {command} --help' for the options."
            )
    require_values(flags)
