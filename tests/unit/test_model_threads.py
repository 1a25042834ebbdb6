"""A language model's compute threads: half the cores unless the config says otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hearthnet.adapters import llama_models
from hearthnet.adapters.node_models import NodeModels
from hearthnet.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (4, 2), (8, 4), (None, 1)])
def test_a_model_leaves_half_the_cores_to_the_rest_of_the_node(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, threads: int
) -> None:
    monkeypatch.setattr(llama_models.os, "cpu_count", lambda: cores)
    models = NodeModels.configured(Config(embedding_model=""))
    assert models.llamas["smollm2"].threads == threads


def test_the_config_gives_a_dedicated_machine_more() -> None:
    models = NodeModels.configured(Config(model_threads=6, embedding_model=""))
    assert models.llamas["smollm2"].threads == 6


@pytest.mark.parametrize("bad", ["-1", "2000", '"four"'])
def test_a_bad_thread_count_is_a_clear_config_error(tmp_path: Path, bad: str) -> None:
    (tmp_path / "config.toml").write_text(f"[node]\nmodel_threads = {bad}\n")
    with pytest.raises(ConfigError, match="model_threads"):
        load_config(tmp_path)
