"""How far a transcript or a reading is from the text it should be: word and character error
rates (edit distance over the expected length), case and punctuation aside."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def _distance(a: Sequence[str], b: Sequence[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[len(b)]


def words(text: str) -> list[str]:
    """The words of a text, lower case, without punctuation."""
    return re.findall(r"[\w']+", text.lower())


def wer(expected: str, got: str) -> float:
    """Word error rate."""
    return _distance(words(expected), words(got)) / max(len(words(expected)), 1)


def cer(expected: str, got: str) -> float:
    """Character error rate, whitespace folded."""
    a, b = " ".join(expected.split()), " ".join(got.split())
    return _distance(a, b) / max(len(a), 1)
