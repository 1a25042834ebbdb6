"""Only `hearthnet run` loads the dashboard: every other command starts without NiceGUI."""

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
from hearthnet.bootstrap import CLI, WIRING
runner = CliRunner()
for args in (["init", "--name", "Probe"], ["log", "stats", "--json"], ["id"], ["doctor"],
             ["log", "verify"], ["member", "list"], ["run", "--help"]):
    runner.invoke(CLI, args, obj=WIRING)
print("nicegui" in sys.modules, "ui.app" in sys.modules)
"""


def test_commands_other_than_run_never_import_nicegui(tmp_path: Path) -> None:
    env = {**os.environ, "HEARTHNET_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
