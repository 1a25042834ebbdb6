"""The feature list is the one place a node's features are wired: it must agree with the
protocol's event catalogue and give every capability, command and page exactly one owner."""

from __future__ import annotations

import importlib
from collections import Counter

from hearthnet.bootstrap import CAPABILITIES, FEATURES, PROJECTIONS, dashboard_pages
from hearthnet.cli.main import COMMANDS
from hearthnet.domain.admission import SCHEMAS


def test_the_features_declare_exactly_the_events_every_node_admits() -> None:
    declared = Counter(t for f in FEATURES for t in f.events)
    assert [t for t, n in declared.items() if n > 1] == []
    assert {t: s for f in FEATURES for t, s in f.events.items()} == SCHEMAS


def test_each_capability_command_page_and_view_has_one_feature() -> None:
    names = [c.name for c in CAPABILITIES]
    assert len(names) == len(set(names))
    views = [make().name for make in PROJECTIONS]
    assert len(views) == len(set(views)) == 10
    commands = {c.name: c for f in FEATURES for c in f.commands}
    assert len(commands) == sum(len(f.commands) for f in FEATURES)
    assert sorted(commands) == sorted(COMMANDS), "the CLI lists exactly the features' commands"
    for name, (module, short_help) in COMMANDS.items():
        assert commands[name] in importlib.import_module(module).COMMANDS, name
        assert commands[name].get_short_help_str(limit=500) == short_help, name
    paths = [p.path for p in dashboard_pages()]
    assert len(paths) == len(set(paths)) == len([f for f in FEATURES if f.page])
