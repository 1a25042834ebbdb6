"""Only `hearthnet run` loads the dashboard, and only the commands that open the node load it:
`--help` and the commands that ask the running node start without the node's libraries."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.e2e.cluster import ROOT

if TYPE_CHECKING:
    from pathlib import Path

PROBE = """
import sys
from click.testing import CliRunner
from hearthnet.cli.main import hearthnet
runner = CliRunner()
for args in (["init", "--name", "Probe"], ["log", "stats", "--json"], ["id"], ["doctor"],
             ["log", "verify"], ["member", "list"], ["run", "--help"]):
    runner.invoke(hearthnet, args)
print("nicegui" in sys.modules, "ui.app" in sys.modules)
"""


def test_commands_other_than_run_never_import_nicegui(tmp_path: Path) -> None:
    env = {**os.environ, "HEARTHNET_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


LIGHT = """
import sys
from click.testing import CliRunner
from hearthnet.cli.main import hearthnet
runner = CliRunner()
for args in (["--help"], ["status"], ["caps"], ["version"], ["chat", "--help"]):
    runner.invoke(hearthnet, args)
heavy = ("hearthnet.bootstrap", "hearthnet.adapters.store", "eventsourcing", "duckdb", "httpx",
         "nacl", "starlette", "nicegui")
print(sorted(m for m in heavy if m in sys.modules))
"""


def test_help_and_questions_to_the_running_node_load_nothing_of_the_node(tmp_path: Path) -> None:
    env = {**os.environ, "HEARTHNET_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", LIGHT], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
