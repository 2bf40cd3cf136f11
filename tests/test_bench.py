"""`make bench` must keep working: one round of each of its measurements, on the zips `fgrevoke package`
builds (it measures nothing here: speed is never asserted in a test)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zip_cache

from fgrevoke import template

pytestmark = pytest.mark.slow  # the three zips (built once per `make test`: tests/zip_cache.py), 18 cold processes
ROOT = Path(__file__).resolve().parents[1]


def test_one_round_of_every_benchmark_runs_on_the_shipped_zips(tmp_path):
    zips = {spec.folder: zip_cache.package(spec, tmp_path) for spec in template.functions(template.load())}
    (tmp_path / "zips.json").write_text(json.dumps(
        {folder: {**dataclasses.asdict(package), "path": str(package.path)} for folder, package in zips.items()}))
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke"], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=600, check=False,
                          env=dict(os.environ, BENCH_ZIPS=str(tmp_path / "zips.json")))
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "|---" not in line]
    for function in ("modelarts_delete_authorizations", "workspace_batch_delete_access_policies",
                     "workspaceapp_batch_delete_app_group_authorization"):
        assert sum(row.startswith(f"| {function} |") for row in rows) == 3, done.stdout  # cold .pyc, no .pyc; warm
    assert any(row.startswith("| 60 accounts × 3 groups |") for row in rows), done.stdout
    assert "account-wide offboarding: one person, 4 targets in 4 regions" in done.stdout, done.stdout
    assert any(row.startswith("| 200 authorizations × 200 IAM users, 5 orphans |") for row in rows), done.stdout
