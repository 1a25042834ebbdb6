"""A failure's message is printed as it was said: a pattern like `[a-z0-9]` in a refusal is
text, not markup for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearthnet.cli.output import Failure

if TYPE_CHECKING:
    import pytest


def test_brackets_in_an_error_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    Failure("corpus: Expected `str` matching regex '^[a-z0-9][a-z0-9_.-]{0,63}$'").show()
    assert "'^[a-z0-9][a-z0-9_.-]{0,63}$'" in capsys.readouterr().err
