"""``tenant-console``: the console (no command) or a headless command.

tenant-console --settings mysite.settings [--event__slug=democon]
tenant-console --settings mysite.settings tenants --search demo --json
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tenant_console import __version__
from tenant_console.cli import commands
from tenant_console.cli.context import CliContext
from tenant_console.cli.scopeflags import check_scope_flags, require_values, split_scope_flags
from tenant_console.core.errors import ConsoleError

EPILOG = """\
Scope options: --DIMENSION=PK or --DIMENSION__LOOKUP=VALUE (e.g. --event__slug=democon) choose
the tenant; several dimensions may be given. Without a command the full-screen console opens.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConsoleError(f"{message}. Run '{self.prog} --help' for the options.")


def build_parser(*, managed: bool = False) -> argparse.ArgumentParser:
    prog = "manage.py tenant_console" if managed else "tenant-console"
    parser = _Parser(
        prog=prog,
        description="A console for multi-tenant Django projects.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tenant-console {__version__}")
    add_project_arguments(parser, managed=managed)
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND", parser_class=_Parser)
    for module in commands.discover():
        p = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_project_arguments(p, managed=managed, suppress=True)
        module.add_arguments(p)
    return parser


def add_project_arguments(parser: argparse.ArgumentParser, *, managed: bool = False, suppress: bool = False) -> None:
    """Options accepted before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    if not managed:
        parser.add_argument(
            "--settings",
            default=default,
            help="Settings module, e.g. mysite.settings (default: $DJANGO_SETTINGS_MODULE).",
        )
        parser.add_argument(
            "--pythonpath",
            action="append",
            default=argparse.SUPPRESS if suppress else [],
            help="A directory to add to the Python path (may be repeated).",
        )
    parser.add_argument(
        "--database",
        default=argparse.SUPPRESS if suppress else "default",
        help="Database alias from DATABASES (default: default).",
    )
    parser.add_argument(
        "--disabled",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="Open with scopes disabled (all tenants visible; audited).",
    )


def main(argv: Sequence[str] | None = None, *, managed: bool = False) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(managed=managed)
        args, extras = parser.parse_known_args(argv)
        scope_flags, rest = split_scope_flags(extras)
        if rest:
            raise ConsoleError(
                f"Unrecognised argument(s): {' '.join(rest)}. Run 'tenant-console --help' for the options."
            )
        if args.subcommand is None:
            from tenant_console.ui.launch import launch

            require_values(scope_flags)
            return launch(
                settings=getattr(args, "settings", None),
                pythonpath=getattr(args, "pythonpath", []),
                database=args.database,
                scope_flags=scope_flags,
                disabled=args.disabled,
            )
        from tenant_console.core.project import load_project

        project = load_project(getattr(args, "settings", None), getattr(args, "pythonpath", []), args.database)
        module = next(m for m in commands.discover() if args.subcommand == m.NAME)
        check_scope_flags(
            scope_flags,
            project.registry.dimensions,
            _subparser(parser, module.NAME)._option_string_actions,
            module.NAME,
            takes_scope=getattr(module, "TAKES_SCOPE", True),
        )
        ctx = CliContext(project=project, args=args, scope_flags=scope_flags)
        return int(module.run(ctx) or 0)
    except ConsoleError as exc:
        sys.stderr.write(f"tenant-console: error: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("tenant-console: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): we cannot know the command finished, so never report success.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise KeyError(name)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
