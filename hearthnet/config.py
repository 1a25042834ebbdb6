"""Where a node keeps its data and how it is configured (`config.toml` in the data directory)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated

import msgspec
import platformdirs

CONFIG_FILE = "config.toml"


class ConfigError(ValueError):
    """A config file that cannot be read."""


class Config(msgspec.Struct, kw_only=True):
    """A node's settings: its name, its community and the store of its log."""

    name: str = ""
    community: str = ""
    store_url: str = ""
    port: int = 7080
    peers: list[str] = []
    connectivity_probe: list[str] = []
    """`host:port` targets whose reachability drives emergency mode (none: always normal)."""
    alert_feeds: list[str] = []
    """Official CAP sources (a CAP message, or an Atom feed of them) polled while online."""
    files_quota_bytes: int = 20 * 2**30
    """Room for files' chunks; unpinned files are collected, least recently used first."""
    files_min_free_bytes: int = 2**30
    """Disk space a stored file must leave free."""
    models: list[str] = msgspec.field(default_factory=lambda: ["smollm2"])
    """Language models this node serves: a packaged model's name, or a GGUF file's path."""
    model_threads: Annotated[int, msgspec.Meta(ge=0, le=1024)] = 0
    """Threads of each language model (0: half the machine's cores)."""
    ollama_hosts: list[str] = []
    """Ollama servers (or nodes speaking its API) whose models this node serves too."""
    embedding_model: str = "all-MiniLM-L6-v2"
    """The embedding model this node serves ("": none, ask the mesh)."""
    senses: list[str] = msgspec.field(default_factory=lambda: ["ocr", "stt", "tts", "translation"])
    """The services of OCR, speech and translation this node offers, from the engines
    installed on the machine ([]: none, ask the mesh)."""
    api_token: str = ""
    """The token other machines give to use the node's Ollama and OpenAI APIs ("": this
    machine only)."""


def data_home() -> Path:
    """Return the data directory: `HEARTHNET_HOME`, else the platform's user data directory."""
    override = os.environ.get("HEARTHNET_HOME")
    return Path(override) if override else platformdirs.user_data_path("hearthnet")


def load_config(home: Path) -> Config:
    """Read config.toml (defaults when absent); `HEARTHNET_STORE_URL` overrides the store."""
    path = home / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
        config = msgspec.convert(data.get("node", {}), Config)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    config.store_url = os.environ.get("HEARTHNET_STORE_URL", config.store_url)
    return config


def store_url(home: Path, config: Config) -> str:
    """Return the store a node uses: the configured URL, else SQLite in the data directory."""
    return config.store_url or f"sqlite:///{(home / 'log.sqlite').resolve()}"


def save_config(home: Path, config: Config) -> None:
    """Write config.toml atomically."""
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[node]"]
    defaults = Config()
    for key, value in msgspec.structs.asdict(config).items():
        if value != getattr(defaults, key) or key == "peers":
            lines.append(f"{key} = {msgspec.json.encode(value).decode()}")
    tmp = home / (CONFIG_FILE + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", "utf-8")
    tmp.replace(home / CONFIG_FILE)
