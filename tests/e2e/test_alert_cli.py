"""Civil-defence alerts from the command line, as an operator and an auditor use it: a trust
root made offline, a certificate issued and registered, an alert published, imported and
exported, and the audit replayed from the data directory with its digest and PDF."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import xmlschema

from tests.e2e.cluster import cli as hn
from tests.unit.test_cap_vectors import VECTORS

if TYPE_CHECKING:
    from pathlib import Path


def test_an_operator_alerts_and_an_auditor_replays(tmp_path: Path) -> None:
    home, root = tmp_path / "node", tmp_path / "root.key"
    me = json.loads(hn(home, "init", "--name", "Issum", "--json").stdout)["node_id"]
    key = hn(home, "role", "root", "init", "--key", str(root)).stdout.strip()
    assert root.stat().st_mode & 0o777 == 0o600 and len(key) == 64
    assert (
        "never overwritten" in hn(home, "role", "root", "init", "--key", str(root), check=1).stderr
    )
    hn(home, "role", "root", "trust", key)
    cert = tmp_path / "cert.json"
    hn(
        home,
        "role",
        "issue",
        "--key",
        str(root),
        "--holder",
        me,
        "--role",
        "DE.NRW.Kleve.Issum.Feuerwehr.Wehrleiter",
        "--region",
        "DE.NRW.Kleve",
        "--severity",
        "Moderate",
        "--severity",
        "Severe",
        "-o",
        str(cert),
    )
    hn(home, "role", "register", str(cert))
    assert (
        hn(
            home,
            "role",
            "issue",
            "--key",
            str(root),
            "--holder",
            "nobody",
            "--role",
            "X",
            "--region",
            "DE",
            "--severity",
            "Minor",
            check=2,
        ).returncode
        == 2
    )
    out = json.loads(
        hn(
            home,
            "alert",
            "publish",
            "--event",
            "Hochwasser",
            "--severity",
            "Moderate",
            "--area",
            "Issum",
            "--region",
            "DE.NRW.Kleve.Issum",
            "--status",
            "Exercise",
            "--json",
        ).stdout
    )
    listed = json.loads(hn(home, "alert", "list", "--json").stdout)
    assert [(x["status"], x["state"]) for x in listed] == [("Exercise", "active")]
    assert "EXERCISE" in hn(home, "alert", "list").stdout
    exported = tmp_path / "out.cap"
    hn(home, "alert", "export", out["event_id"][:12], "-o", str(exported))
    xmlschema.XMLSchema(str(VECTORS / "cap12.xsd")).validate(str(exported))
    refused = hn(home, "alert", "import", str(VECTORS / "xee.cap"), check=2)
    assert "hostile" in refused.stderr
    refused = hn(home, "alert", "import", str(VECTORS / "invalid.cap"), check=2)
    assert "scope" in refused.stderr
    pdf = tmp_path / "audit.pdf"
    text = hn(home, "audit", "alerts", "--pdf", str(pdf))
    digest = text.stdout.strip().splitlines()[-1]
    assert digest.startswith("digest sha256:") and "Hochwasser" in text.stdout
    assert pdf.read_bytes().startswith(b"%PDF")
    as_json = hn(home, "audit", "alerts", "--json")
    assert as_json.stderr.strip() == digest
    assert json.loads(as_json.stdout)["alerts"][0]["status"] == "Exercise"
    assert hn(home, "audit", "alerts", "--as-of", "yesterday", check=2).returncode == 2
