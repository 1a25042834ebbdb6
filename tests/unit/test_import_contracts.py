"""The import contracts describe the architecture: each breaks on a deliberately wrong import.

import-linter runs on a scratch copy of the packages, with one bad import added, and must
name the contract it breaks; the unchanged copy keeps every contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(tmp_path: Path, module: str = "", line: str = "") -> subprocess.CompletedProcess[str]:
    for package in ("hearthnet", "ui"):
        shutil.copytree(ROOT / package, tmp_path / package, dirs_exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if module:
        target = tmp_path / (module.replace(".", "/") + ".py")
        target.write_text(target.read_text() + f"\n{line}\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_the_copy_keeps_every_contract(tmp_path: Path) -> None:
    done = _lint(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "hearthnet.domain.market",
            "import hearthnet.services.bus",
            "layers of DESIGN section 8",
        ),
        (
            "hearthnet.services.inspection",
            "import hearthnet.adapters.crypto",
            "layers of DESIGN section 8",
        ),
        (
            "hearthnet.sync.session",
            "import hearthnet.adapters.replica",
            "layers of DESIGN section 8",
        ),
        (
            "hearthnet.projections.market",
            "import hearthnet.projections.chat",
            "read models do not import each other",
        ),
        (
            "hearthnet.domain.chat",
            "import hearthnet.domain.market",
            "the domain's features do not import each other",
        ),
        (
            "hearthnet.services.chat",
            "import hearthnet.services.community",
            "the services' features do not import each other",
        ),
        (
            "hearthnet.cli.market",
            "import hearthnet.bootstrap",
            "layers of DESIGN section 8",
        ),
        (
            "hearthnet.projections.chat",
            "import httpx",
            "projections import only the domain",
        ),
        (
            "hearthnet.cli.market",
            "import hearthnet.cli.chat",
            "the CLI's features do not import each other",
        ),
        (
            "ui.pages.market",
            "import ui.pages.chat",
            "the dashboard's pages do not import each other",
        ),
    ],
)
def test_a_wrong_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    done = _lint(tmp_path, module, line)
    assert done.returncode != 0
    broken = [row for row in done.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(row.startswith(contract) for row in broken), done.stdout[-3000:]
