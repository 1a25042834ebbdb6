"""Entry point: the `hearthnet` group and its error handling."""

from __future__ import annotations

import platform
import sys

import click
from eventsourcing.persistence import PersistenceError

from hearthnet import __version__
from hearthnet.adapters.keystore import KeyFileError
from hearthnet.adapters.store import StoreUnavailable
from hearthnet.cli.bus import call_cmd, caps, chat, market, member, status
from hearthnet.cli.community import init, invite, join, show_id
from hearthnet.cli.doctor import doctor
from hearthnet.cli.log import log
from hearthnet.cli.node import peer, peers, run
from hearthnet.cli.output import EXIT_ERROR, Failure, emit_json, json_option, stderr
from hearthnet.config import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hearthnet")
def cli() -> None:
    """HearthNet: a local-first community mesh around one signed, replicated log."""


@cli.command()
@json_option
def version(as_json: bool) -> None:
    """Print package, protocol and Python versions."""
    info = {
        "hearthnet": __version__,
        "envelope": 1,
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    if as_json:
        emit_json(info)
    else:
        click.echo(" ".join(f"{k} {v}" for k, v in info.items()))


cli.add_command(init)
cli.add_command(invite)
cli.add_command(log)
cli.add_command(join)
cli.add_command(show_id)
cli.add_command(run)
cli.add_command(peers)
cli.add_command(peer)
for command in (call_cmd, status, caps, market, chat, member, doctor):
    cli.add_command(command)


def main() -> None:
    """Run the CLI, turning expected failures into a message and an exit code."""
    try:
        code = cli.main(standalone_mode=False)  # an Exit raised by a command comes back here
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
