"""``--DIMENSION[__LOOKUP]=VALUE`` flags, which argparse cannot declare before the project is loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenant_console.core.errors import ConsoleError

_FLAG = re.compile(r"^--([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$", re.S)


@dataclass(frozen=True)
class ScopeFlag:
    name: str  # "event__slug"
    value: str

    @property
    def text(self) -> str:
        return f"--{self.name}={self.value}"


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
        if value is None:
            if i + 1 >= len(extras) or extras[i + 1].startswith("--"):
                raise ConsoleError(
                    f"The option --{name} needs a value, as in --{name}=democon. Scope options have the "
                    "form --DIMENSION=PK or --DIMENSION__LOOKUP=VALUE (for example --event__slug=democon)."
                )
            value = extras[i + 1]
            i += 1
        if value == "":
            raise ConsoleError(f"The option --{name} was given an empty value.")
        flags.append(ScopeFlag(name, value))
        i += 1
    return flags, rest
