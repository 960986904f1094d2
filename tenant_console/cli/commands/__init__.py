"""Headless commands. Each module here defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(ctx) -> int``; the CLI finds them with :func:`discover`, so adding a command means
adding a module and touching nothing else."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def discover() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            found.append(module)
    return sorted(found, key=lambda m: getattr(m, "ORDER", 50))
