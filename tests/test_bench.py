"""benchmarks/run.py (`make bench`): a smoke run of its pipeline, offline; no timing asserted."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
bench = importlib.import_module("run")


def test_quick_rows_are_measured_quiet_and_loaded_and_written(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert bench.main(["--quick", "--only", "pairwise_iou", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    (row,) = result["rows"]
    assert row["name"].startswith("pairwise_iou")
    for condition in ("quiet", "loaded"):
        assert row[condition]["ratio"] > 0 and row[condition]["ours_ms"] > 0
    assert result["machine"]["cpu_count"] >= 1
    assert "pairwise_iou" in capsys.readouterr().out


def test_the_test_command_time_is_read_from_what_make_test_wrote(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    assert bench.test_command_time() == "not measured"
    (tmp_path / "build").mkdir()
    record = {"seconds": 812, "mode": "fast", "exit": 0, "when": "x", "subset": False}
    (tmp_path / "build" / "test_time.json").write_text(json.dumps(record))
    assert bench.test_command_time() == record
