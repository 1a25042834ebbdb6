"""The `hearthnet` command group, built from the features' commands, and its error handling."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from eventsourcing.persistence import PersistenceError

from hearthnet import __version__
from hearthnet.adapters.keystore import KeyFileError
from hearthnet.adapters.store import StoreUnavailable
from hearthnet.cli.output import EXIT_ERROR, Failure, stderr
from hearthnet.config import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hearthnet.cli.session import Wiring


def command_line(commands: Iterable[click.Command]) -> click.Group:
    """The `hearthnet` group with the given commands."""

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="hearthnet")
    def hearthnet() -> None:
        """HearthNet: a local-first community mesh around one signed, replicated log."""

    for command in commands:
        hearthnet.add_command(command)
    return hearthnet


def run(group: click.Group, wiring: Wiring) -> None:
    """Run the CLI, turning expected failures into a message and an exit code."""
    try:
        code = group.main(standalone_mode=False, obj=wiring)  # a command's Exit comes back here
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(EXIT_ERROR)
    except Failure as exc:
        exc.show()
        sys.exit(exc.exit_status())
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (ConfigError, KeyFileError, StoreUnavailable, PersistenceError, OSError) as exc:
        stderr.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # a clear line instead of a traceback; nothing is half-written
        stderr.print(f"[bold red]error:[/] {type(exc).__name__}: {exc}", markup=True)
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
