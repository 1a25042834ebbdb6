"""The `hearthnet` command: its commands by name, each loaded only when it runs, and its
error handling. `hearthnet --help` and the commands that ask the running node load nothing of
the node itself, so they answer at once."""

from __future__ import annotations

import importlib
import sys
import textwrap
from typing import TYPE_CHECKING

import click

from hearthnet import __version__

if TYPE_CHECKING:
    from collections.abc import Mapping

COMMANDS: Mapping[str, tuple[str, str]] = {
    "alert": ("hearthnet.cli.alerts", "Civil-defence alerts (CAP 1.2)."),
    "audit": (
        "hearthnet.cli.alerts",
        "Audits an auditor runs on this node's data directory alone.",
    ),
    "call": (
        "hearthnet.cli.node",
        'Call a capability: NAME[@VERSION] and a JSON body {"params": ..., "input": ...}.',
    ),
    "ask": (
        "hearthnet.cli.llm",
        "Ask the mesh a question; the answer streams as it is written.",
    ),
    "caps": ("hearthnet.cli.node", "List the capabilities this node serves."),
    "chat": (
        "hearthnet.cli.chat",
        "Private messages, sealed end to end: direct, and in group threads.",
    ),
    "role": ("hearthnet.cli.alerts", "Role certificates for civil-defence alerts."),
    "doctor": (
        "hearthnet.cli.doctor",
        "Check keys, community, log, port, capabilities, mDNS, disk and clock; exit 0/1/2.",
    ),
    "file": (
        "hearthnet.cli.files",
        "Files shared in the community, named by their content (blake3:...).",
    ),
    "id": (
        "hearthnet.cli.community",
        "Print this node's id (creating its key on first use), to hand to an inviter.",
    ),
    "init": (
        "hearthnet.cli.community",
        "Create this node's key and found a new community (or join one with --join, or become "
        "a backed-up node again with --restore FILE --peer URL).",
    ),
    "invite": ("hearthnet.cli.community", "Invite nodes into the community."),
    "join": (
        "hearthnet.cli.community",
        "Join a community with an invite link: verify it, sync the log, announce the join.",
    ),
    "key": ("hearthnet.cli.community", "The node key: back it up, to restore it on a new device."),
    "log": ("hearthnet.cli.inspection", "Inspect and audit the community log."),
    "market": ("hearthnet.cli.market", "The marketplace board."),
    "member": ("hearthnet.cli.community", "Members and their trust levels."),
    "models": ("hearthnet.cli.llm", "Every model of the mesh, who serves it, and how fast."),
    "ocr": (
        "hearthnet.cli.ocr",
        "Read the text of an image or a PDF (scanned pages through OCR).",
    ),
    "peer": ("hearthnet.cli.mesh", "Manage peers by hand."),
    "peers": (
        "hearthnet.cli.mesh",
        "List the running node's peers with their state and last sync.",
    ),
    "rag": (
        "hearthnet.cli.rag",
        "Documents in corpora, searched by meaning (text, Markdown, HTML, PDF).",
    ),
    "run": (
        "hearthnet.cli.serve",
        "Run this node: API, replication, discovery and the dashboard, until Ctrl-C or SIGTERM.",
    ),
    "speak": ("hearthnet.cli.speech", "Speak TEXT into an audio file, with a voice of the mesh."),
    "status": (
        "hearthnet.cli.node",
        "Show the running node: identity, community, peers, log head, capabilities.",
    ),
    "transcribe": (
        "hearthnet.cli.speech",
        "Write down the speech of an audio file (any common format, up to 300 s).",
    ),
    "translate": (
        "hearthnet.cli.translation",
        "Translate TEXT (its language found when not given).",
    ),
    "version": ("hearthnet.cli.node", "Print package, protocol and Python versions."),
}
"""Each command's module (its COMMANDS hold it) and short help: the features' commands, as
`bootstrap.FEATURES` lists them (a test keeps the two alike)."""

EXIT_ERROR = 1
EXPECTED = (
    ("hearthnet.config", "ConfigError"),
    ("hearthnet.adapters.keystore", "KeyFileError"),
    ("hearthnet.adapters.store", "StoreUnavailable"),
    ("eventsourcing.persistence", "PersistenceError"),
)
"""Failures that read well as they are (a module not loaded raised none of its own)."""


class Commands(click.Group):
    """The command group that loads a command's module only to run it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, from its module."""
        found = COMMANDS.get(cmd_name)
        if found is None:
            return None
        commands: tuple[click.Command, ...] = importlib.import_module(found[0]).COMMANDS
        return next(c for c in commands if c.name == cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their short help, without loading them."""
        width = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, textwrap.shorten(text, width, placeholder="..."))
            for name, (_, text) in sorted(COMMANDS.items())
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hearthnet")
def hearthnet() -> None:
    """HearthNet: a local-first community mesh around one signed, replicated log."""


def _expected(exc: Exception) -> bool:
    loaded = tuple(getattr(sys.modules[m], name) for m, name in EXPECTED if m in sys.modules)
    return isinstance(exc, (OSError, *loaded))


def main() -> None:
    """Run the CLI, turning expected failures into a message and an exit code."""
    try:
        code = hearthnet.main(standalone_mode=False)  # a command's Exit comes back here
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:  # a command's Failure says its own exit status
        exc.show()
        status = getattr(exc, "exit_status", None)
        sys.exit(status() if callable(status) else exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # a clear line instead of a traceback; nothing is half-written
        said = str(exc) if _expected(exc) else f"{type(exc).__name__}: {exc}"
        click.echo(f"{click.style('error:', fg='red', bold=True)} {said}", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
