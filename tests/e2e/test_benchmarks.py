"""The benchmark scripts run as documented and end with their `NAME=VALUE` line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str) -> list[str]:
    env = {
        **os.environ,
        "HEARTHNET_BENCH_DIR": str(tmp_path),
        "HEARTHNET_HOME": str(tmp_path / "h"),
    }
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("module", "name"),
    [("benchmarks.ingest", "ingest_vs_verify"), ("benchmarks.replay", "replay_events_per_s")],
)
def test_last_line_is_the_headline(tmp_path: Path, module: str, name: str) -> None:
    last = run(tmp_path, "-m", module, "3000")[-1]
    assert re.fullmatch(rf"{name}=\d+(\.\d+)?", last), last
    assert float(last.split("=")[1]) > 0


def test_the_bus_benchmark_runs_at_its_real_size(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.bus")
    assert any(line.startswith("remote market.list over loopback calls=500 ") for line in lines)
    assert re.fullmatch(r"local_call_p50_us=\d+", lines[-1]), lines[-1]


def test_the_hostile_benchmark_attacks_and_measures(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.hostile", "40")
    assert any(line.startswith("attacker sent: ") for line in lines), lines
    assert any(line.startswith("node RSS growth under attack: ") for line in lines), lines
    assert re.fullmatch(r"hostile_p99_ratio=\d+\.\d+", lines[-1]), lines[-1]


def test_the_corpus_is_importable_and_reproducible(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run(tmp_path, "-m", "benchmarks.corpus", "400", str(a))[-1] == "corpus=400"
    run(tmp_path, "-m", "benchmarks.corpus", "400", str(b))
    assert a.read_bytes() == b.read_bytes()
    lines = run(tmp_path, "-m", "hearthnet", "log", "import", str(a), "--json")
    assert '"stored":400' in lines[0] and '"rejected":0' in lines[0]


def test_the_private_benchmark_compares_sealed_with_plain(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.private", "5")
    overhead = next(line for line in lines if line.startswith("overhead_bytes_first="))
    first, later = (int(part.split("=")[1]) for part in overhead.split()[:2])
    assert 0 < later < first <= 120, overhead
    assert re.fullmatch(r"private_latency_ratio=\d+\.\d+", lines[-1]), lines[-1]


def test_the_cli_benchmark_times_help_and_status_against_python(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.cli", "3")
    assert lines[0].startswith("runs=3 python_ms="), lines
    assert re.fullmatch(r"cli_help_vs_python=\d+\.\d+", lines[-1]), lines[-1]


def test_the_audit_benchmark_replays_a_log_with_alerts(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.audit", "20000")
    assert lines[0] == "events=20000 alerts=20 answers=2000", lines
    assert lines[1].startswith("digest sha256:")
    assert re.fullmatch(r"audit_1m_s=\d+\.\d+", lines[-1]), lines[-1]


def test_the_alerts_benchmark_measures_both_goals(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.alerts", "3", "2000")
    assert lines[0].startswith("nodes=10 alerts=3 p50_ms="), lines
    assert lines[1].startswith("backlog=2000 alert_s="), lines
    assert re.fullmatch(r"alert_first_ratio=\d+\.\d+", lines[-1]), lines[-1]


def test_the_files_benchmark_measures_every_goal(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.files", "16")
    assert lines[0].startswith("size_mib=16 rounds=5 plain_http_mib_s="), lines
    assert lines[1].startswith("one_holder_mib_s="), lines
    assert re.fullmatch(r"rss_growth_mib=\d+\.\d", lines[3]), lines
    assert re.fullmatch(r"resume_fetched_over_missing=\d\.\d{3}", lines[4]), lines
    assert re.fullmatch(r"file_vs_loopback=\d+\.\d+", lines[-1]), lines[-1]


def test_the_llm_benchmark_compares_the_mesh_with_llama_cpp(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.llm", "1")
    assert lines[0] == "tokens per call: direct 128, mesh 128", lines
    assert any(line.startswith("added time to first token: ") for line in lines), lines
    assert any(
        line.startswith("calls to the idle node while the other is busy: ") for line in lines
    )
    assert re.fullmatch(r"llm_mesh_ratio=\d+\.\d{3}", lines[-1]), lines[-1]


def test_the_rag_benchmark_ingests_manual_pages_and_measures_recall(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.rag", "5000")
    assert lines[0].startswith("coreutils manual pages: "), lines
    recall = next(line for line in lines if line.startswith("recall@5 on 50 questions: "))
    assert float(recall.rsplit(" ", 1)[1]) >= 0.8, recall
    assert re.fullmatch(r"rag_query_p50_ms=\d+\.\d", lines[-1]), lines[-1]


def test_the_senses_benchmark_compares_the_mesh_with_the_engines(tmp_path: Path) -> None:
    lines = run(tmp_path, "-m", "benchmarks.senses", "1")
    assert lines[0].startswith("speech: 8 clips, "), lines
    errors = next(line for line in lines if line.startswith("word error rate through the mesh"))
    assert float(errors.split(": ")[1].split()[0]) <= 0.15, errors
    assert any(re.fullmatch(r"ocr_mesh_ratio=\d+\.\d{3} \(goal >= 0.9\)", x) for x in lines)
    assert re.fullmatch(r"stt_mesh_ratio=\d+\.\d{3}", lines[-1]), lines[-1]
