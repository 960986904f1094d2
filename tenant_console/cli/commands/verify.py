"""``verify``: check an export against its manifest and against the current models."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tenant_console.cli.context import CliContext
from tenant_console.cli.output import print_json
from tenant_console.core.errors import ConsoleError
from tenant_console.core.private import open_private

NAME = "verify"
TAKES_SCOPE = False
HELP = "Check an export file against its manifest and the current models."
DESCRIPTION = """\
Checks the data file of an export (NAME.jsonl[.gz] or NAME.manifest.json) against its manifest: size,
SHA-256, that it decompresses and parses to the end, counts per model, and that every model still has
the recorded fields (differences are listed field by field). Exit code 0 when all is well, 1 otherwise.
A sound file with dangling references (--cross-tenant omit, --exclude) passes, but verify says how many
there are and where they are listed: `manage.py loaddata` fails on them unless the target already has
the rows they point at, `tenant-console import FILE` classifies them.
"""
ORDER = 61


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="The export's data file or its .manifest.json.")
    parser.add_argument("--storage", metavar="ALIAS", help="Read FILE from this Django storage (STORAGES alias).")
    parser.add_argument("--no-models", action="store_true",
                        help="Only check the file against its manifest, not against the current models.")
    parser.add_argument("--json", action="store_true", help="Print JSON.")


@contextlib.contextmanager
def _from_storage(alias: str, name: str) -> Iterator[Path]:
    """Copy an export (data and manifest) out of a storage into a temporary folder."""
    from django.core.files.storage import InvalidStorageError, storages

    from tenant_console.core.export.storage import manifest_name, split_name

    try:
        storage = storages[alias]
    except InvalidStorageError:
        raise ConsoleError(f"--storage {alias}: there is no such storage in STORAGES.")
    split_name(name)
    tmp = Path(tempfile.mkdtemp(prefix="tc-verify-"))
    try:
        for n in (name, manifest_name(name)):
            if not storage.exists(n):
                if n == name:
                    raise ConsoleError(f"{n} does not exist in the storage {alias!r}.", exit_code=1)
                continue
            with storage.open(n, "rb") as src, open_private(tmp / Path(n).name, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        yield tmp / Path(name).name
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(ctx: CliContext) -> int:
    from tenant_console.core.export.verify import verify_export

    args = ctx.args
    # Audited like every act on export files: before (no record, no verify) and with its result.
    act = ctx.project.audit.act("verify", file=args.file, storage=args.storage, check_models=not args.no_models)
    with act, contextlib.ExitStack() as stack:
        if args.storage:
            path = stack.enter_context(_from_storage(args.storage, args.file))
        else:
            path = Path(args.file)
            if not path.exists():
                raise ConsoleError(f"{path} does not exist.", exit_code=1)
        report = verify_export(path, check_models=not args.no_models)
        act.note(passed=report.ok, problems=[f"[{kind}] {message}"[:300] for kind, message in report.problems[:50]])
    if ctx.json:
        print_json(report.as_dict())
    elif report.ok:
        print(report.summary())
    else:
        print(f"{report.data_path}: {len(report.problems)} problem(s):")
        for kind, message in report.problems:
            print(f"  [{kind}] {message}")
    return 0 if report.ok else 1
