"""``make bench``: one person leaves; ModelArts offboards them in 20 targets (4 regions x 5 projects), every call
taking 50 ms on the emulator. No timed assertion: the figures go to the table and benchmarks/results.json."""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any, Dict, List, Tuple

from fgrevoke import functions, testkit
from fgrevoke.emulator import Emulator
from fgrevoke.testkit import LocalContext

REGIONS = ("cn-north-4", "cn-east-3", "ap-southeast-1", "af-south-1")
HOME = "ap-southeast-1"
ROUTES = ("modelarts.get_authorizations", "modelarts.delete_authorizations")


def fan_out(emulator: Emulator, keys: Tuple[str, str, str], projects_per_region: int = 5, latency: float = 0.05,
            concurrency: int = 4) -> Dict[str, Any]:
    """Calls against the minimum (per target: the listing before, the removal, the listing after) and wall
    time against the ideal at TARGET_CONCURRENCY (each target's calls one after another)."""
    handler = functions.load("modelarts_delete_authorizations").handler
    for name, value in testkit.region_endpoints(emulator, REGIONS).items():
        os.environ[name] = value
    places: List[Tuple[str, str]] = [(region, f"{index:02d}{region_index:02d}".ljust(32, "f"))
                                     for region_index, region in enumerate(REGIONS)
                                     for index in range(projects_per_region)]
    for region, project in places:
        emulator.add_project(region, project)
        emulator.modelarts.seed(project, "u-leaver")
    emulator.journal.clear()
    for route in ROUTES:
        emulator.inject(route, latency=latency, times=None)
    settings = {"REGION": HOME, "PROJECT_ID": places[0][1], "DRY_RUN": "false",
                "TARGETS": ",".join(f"{region}/{project}" for region, project in places),
                "TARGET_CONCURRENCY": str(concurrency)}
    context = LocalContext(settings, security_access_key=keys[0], security_secret_key=keys[1],
                           security_token=keys[2], timeout_seconds=300)
    sink = open(os.devnull, "w")
    stdout, sys.stdout = sys.stdout, sink
    try:
        started = time.perf_counter()
        result = handler(testkit.cts_event("u-leaver", "leaver"), context)
        wall = time.perf_counter() - started
    finally:
        sys.stdout = stdout
        sink.close()
    emulator.clear_faults()
    assert result["status"] == "succeeded", result["summary"]
    assert not any("u-leaver" in emulator.modelarts.user_ids(project) for _, project in places)
    calls = len(emulator.calls())
    per_target = math.ceil(calls / len(places))
    minimum = len(places) * 3  # listing before (the grant's before-state), removal, listing after
    ideal = math.ceil(len(places) / concurrency) * per_target * latency
    return {"targets": len(places), "regions": len(REGIONS), "calls": calls, "minimum_calls": minimum,
            "concurrency": concurrency, "latency_ms": latency * 1000, "wall_s": round(wall, 3),
            "ideal_s": round(ideal, 3), "ratio": round(wall / ideal, 2)}
