"""``make bench``: cold start, peak RSS, warm throughput and bulk offboarding, in one run.

Prints one table and writes benchmarks/results.json. Everything runs on loopback against the
embedded emulator; no timed assertions anywhere: these are measurements.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.child_snippets import NAIVE  # noqa: E402
from fgrevoke import functions  # noqa: E402
from fgrevoke.emulator import Emulator  # noqa: E402
from fgrevoke.testkit import LocalContext  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "10"))
AK, SK, TOKEN = "BENCHACCESSKEY000001", "bench-secret-key-0123456789abcdefghijk", "bench-token=="
REGION, PROJECT = "cn-north-4", "0b1e2d3c4b5a69788796a5b4c3d2e1f0"
SETTINGS = {"REGION": REGION, "PROJECT_ID": PROJECT, "DRY_RUN": "false"}
SDK = {"modelarts_delete_authorizations": "huaweicloudsdkmodelarts",
       "workspace_batch_delete_access_policies": "huaweicloudsdkworkspace",
       "workspaceapp_batch_delete_app_group_authorization": "huaweicloudsdkworkspaceapp"}
EVENTS = {"modelarts_delete_authorizations": {"user_id": "u-bench"},
          "workspace_batch_delete_access_policies": {"policy_id_list": ["p-bench"]},
          "workspaceapp_batch_delete_app_group_authorization": {"app_group_ids": ["g-1"], "accounts": ["a"]}}
REMOVE, LIST = "workspaceapp.batch_delete_app_group_authorization", "workspaceapp.list_app_group_authorization"


def seed(emulator: Emulator, function: str) -> None:
    if function.startswith("modelarts"):
        emulator.modelarts.seed(PROJECT, "u-bench")
    elif function.startswith("workspace_"):
        emulator.workspace.seed(PROJECT, policy_id="p-bench")
    else:  # a removal is sent only for a pair the service holds
        emulator.workspaceapp.seed_group(PROJECT, "g", "g-1")
        emulator.workspaceapp.grant(PROJECT, "g-1", "a")


# -- the code a function ships, as a directory ------------------------------------------------------
def distributions(top: str) -> Dict[str, metadata.Distribution]:
    """``top`` and everything it requires, as installed here (markers that exclude a package leave
    it uninstalled, so it is skipped)."""
    found: Dict[str, metadata.Distribution] = {}
    pending = [top]
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[key] = dist
        pending.extend(re.match(r"[A-Za-z0-9_.-]+", req).group(0) for req in dist.requires or []
                       if "extra ==" not in req)
    return found


def package_tree(function: str, dest: Path) -> Path:
    """index.py at the root, shared/, and the function's dependencies: what its zip holds."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "functions" / function / "index.py", dest / "index.py")
    shutil.copytree(ROOT / "shared", dest / "shared", ignore=shutil.ignore_patterns("__pycache__"))
    for top in (SDK[function], "structlog"):
        for dist in distributions(top).values():
            for file in dist.files or []:
                if "__pycache__" in file.parts or file.suffix == ".pyc" or ".dist-info" in file.parts[0] \
                        or file.parts[0] in ("..", "bin"):
                    continue
                target = dest / file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(dist.locate_file(file), target)
    return dest


# -- cold start -----------------------------------------------------------------------------------
def cold_runs(emulator: Emulator, mode: str, function: str, tree: Path, pyc: bool) -> Dict[str, Any]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tempfile.mkdtemp(), "NO_PROXY": "127.0.0.1,localhost",
           "PYTHONDONTWRITEBYTECODE": "1", "BENCH_AK": AK, "BENCH_SK": SK, "BENCH_TOKEN": TOKEN,
           "BENCH_SETTINGS": json.dumps(SETTINGS), "BENCH_EVENT": json.dumps(EVENTS[function]),
           "BENCH_ENDPOINT": emulator.endpoint}
    for service in functions.service_names():
        env[f"HUAWEICLOUD_SDK_REGION_{service}_CN_NORTH_4"] = emulator.endpoint
    command = [sys.executable, "-S", str(ROOT / "benchmarks" / "child.py"), mode, function, str(tree)]
    walls, rss = [], []
    for run in range(RUNS + 1):  # the first run warms the page cache and is not counted
        seed(emulator, function)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{mode} {function} failed:\n{done.stderr[-2000:]}")
        if run:
            walls.append(wall * 1000)
            rss.append(json.loads(done.stdout.strip().splitlines()[-1])["rss_kib"] / 1024)
    quartiles = statistics.quantiles(walls, n=4)
    return {"median_ms": round(statistics.median(walls), 1), "iqr_ms": round(quartiles[2] - quartiles[0], 1),
            "min_ms": round(min(walls), 1), "max_ms": round(max(walls), 1), "peak_rss_mib": round(max(rss), 1)}


# -- warm invocations --------------------------------------------------------------------------------
def warm(emulator: Emulator, function: str, rounds: int = 7, count: int = 200) -> Dict[str, Any]:
    """Alternating rounds of handler invocations and bare SDK calls; the medians resist this machine's noise.

    The handler runs twice per round: as deployed (INFO: three JSON log lines per invocation) and with
    LOG_LEVEL=ERROR, which shows what the log lines cost.
    """
    handler = functions.load(function).handler
    keys = dict(security_access_key=AK, security_secret_key=SK, security_token=TOKEN)
    contexts = {"info": LocalContext(SETTINGS, **keys),
                "error": LocalContext({**SETTINGS, "LOG_LEVEL": "ERROR"}, **keys)}
    client, call = bare_client(function, emulator)
    sink = open(os.devnull, "w")
    stdout, sys.stdout = sys.stdout, sink  # logs go to stdout in production too; not to this terminal
    seconds: Dict[str, List[float]] = {"info": [], "error": [], "bare": []}
    try:
        handler(EVENTS[function], contexts["info"])  # warm: modules, client, connection
        seed(emulator, function)
        call(client)
        for _ in range(rounds):
            for level, context in contexts.items():
                seconds[level].append(timed(count, lambda c=context: (seed(emulator, function),
                                                                      handler(EVENTS[function], c))))
            seconds["bare"].append(timed(count, lambda: (seed(emulator, function), call(client))))
    finally:
        sys.stdout = stdout
        sink.close()

    def ratio_to_bare(level: str) -> float:
        return round(statistics.median(b / h for h, b in zip(seconds[level], seconds["bare"])), 2)

    return {"handler_per_s": round(count / statistics.median(seconds["info"])),
            "bare_sdk_per_s": round(count / statistics.median(seconds["bare"])),
            "ratio": ratio_to_bare("info"), "ratio_log_level_error": ratio_to_bare("error")}


def bare_client(function: str, emulator: Emulator) -> Tuple[Any, Callable[[Any], Any]]:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials

    namespace: Dict[str, Any] = {}
    exec(NAIVE[function], namespace)
    credentials = BasicCredentials(AK, SK, PROJECT).with_security_token(TOKEN)
    client = namespace["C"].new_builder().with_credentials(credentials).with_endpoints([emulator.endpoint]).build()
    return client, namespace["call"]


def timed(count: int, fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        fn()
    return time.perf_counter() - started


# -- bulk offboarding ------------------------------------------------------------------------------
def bulk(emulator: Emulator, groups: int = 25, accounts: int = 1000, latency: float = 0.05,
         concurrency: int = 4) -> Dict[str, Any]:
    """1000 people leave 25 groups. Every call (listing page or removal) takes ``latency``.

    The floor is one listing page per person (what tells a held pair from one never held) plus the
    fewest removal calls; ``calls/floor`` and ``wall/ideal`` say what the handler adds to it.
    """
    handler = functions.load("workspaceapp_batch_delete_app_group_authorization").handler
    group_ids = [emulator.workspaceapp.seed_group(PROJECT, f"g{i}", f"{8000 + i}") for i in range(groups)]
    names = [f"leaver{i:04d}" for i in range(accounts)]
    for group in group_ids:
        for name in names:
            emulator.workspaceapp.grant(PROJECT, group, name)
    emulator.journal.clear()
    for route in (REMOVE, LIST):
        emulator.inject(route, latency=latency, times=None)
    context = LocalContext(dict(SETTINGS, MAX_CONCURRENCY=str(concurrency)), security_access_key=AK,
                           security_secret_key=SK, security_token=TOKEN, timeout_seconds=300)  # template.yml
    sink = open(os.devnull, "w")
    stdout, sys.stdout = sys.stdout, sink
    try:
        started = time.perf_counter()
        result = handler({"app_group_ids": group_ids, "accounts": names}, context)
        wall = time.perf_counter() - started
    finally:
        sys.stdout = stdout
        sink.close()
    emulator.clear_faults()
    removals, pages = len(emulator.calls(REMOVE)), len(emulator.calls(LIST))
    assert result["status"] == "succeeded" and not emulator.workspaceapp.pairs(PROJECT), result["summary"]
    minimum = -(-groups // 10) * -(-accounts // 50)
    floor = minimum + accounts * -(-groups // 100)  # a listing page holds up to 100 of a person's groups
    calls = len(emulator.calls())
    ideal = floor / concurrency * latency
    return {"groups": groups, "accounts": accounts, "calls": calls, "removal_calls": removals,
            "listing_pages": pages, "minimum_removal_calls": minimum, "floor_calls": floor,
            "calls_ratio": round(calls / floor, 3), "concurrency": concurrency, "latency_ms": latency * 1000,
            "wall_s": round(wall, 3), "ideal_s": round(ideal, 3), "ratio": round(wall / ideal, 2)}


# -- the daily sweep ---------------------------------------------------------------------------------
SWEEP_ROUTES = ("modelarts.get_authorizations", "iam.keystone_list_users", "modelarts.delete_authorizations")


def sweep(emulator: Emulator, grants: int = 10_000, users: int = 10_000, orphans: int = 50, latency: float = 0.05,
          concurrency: int = 4) -> Dict[str, Any]:
    """A ModelArts sweep of ``grants`` authorizations against ``users`` IAM users, ``orphans`` of them held by
    people IAM no longer knows (SWEEP_MAX_COUNT's default, so the breaker lets them through). Every call
    takes ``latency``. In a child process: its peak RSS is the sweep's own, not the emulator's.

    The floor is every listing page (GetAuthorizations pages of 1000, one KeystoneListUsers) plus one
    deletion per orphan; the ideal wall is the pages one after another, then the deletions ``concurrency``
    at a time. The sweep's own CPU time (the child's) says how much of wall - ideal is its work rather than the
    emulator's or this machine's other load.
    """
    emulator.reset()
    for index in range(users):
        emulator.iam.seed_user(None, f"u-{index:05d}", f"user{index:05d}")
    for index in range(grants - orphans):
        emulator.modelarts.seed(PROJECT, f"u-{index:05d}", age_hours=72)
    for index in range(orphans):
        emulator.modelarts.seed(PROJECT, f"u-gone-{index:03d}", age_hours=72)
    for route in SWEEP_ROUTES:
        emulator.inject(route, latency=latency, times=None)
    env = dict(os.environ, BENCH_AK=AK, BENCH_SK=SK, BENCH_TOKEN=TOKEN, NO_PROXY="127.0.0.1,localhost",
               BENCH_SETTINGS=json.dumps(dict(SETTINGS, MAX_CONCURRENCY=str(concurrency))))
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sweep_child.py")], env=env,
                          capture_output=True, text=True, check=False)
    emulator.clear_faults()
    if done.returncode != 0:
        raise SystemExit(f"the sweep benchmark failed:\n{done.stderr[-2000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["summary"] == {"deleted": orphans}, measured
    timed = emulator.calls()[emulator.calls().index(emulator.calls(SWEEP_ROUTES[1])[0]) + 1:]  # after the warm-up
    timed = [call for call in timed if call["route"] in SWEEP_ROUTES]
    pages = sum(call["route"] != SWEEP_ROUTES[2] for call in timed)
    deletions = len(timed) - pages
    floor = -(-grants // 1000) + 1 + orphans
    ideal = (-(-grants // 1000) + 1 + -(-orphans // concurrency)) * latency
    return {"grants": grants, "users": users, "orphans": orphans, "calls": len(timed),
            "listing_pages": pages, "deletions": deletions, "floor_calls": floor,
            "calls_ratio": round(len(timed) / floor, 3), "concurrency": concurrency,
            "latency_ms": latency * 1000, "wall_s": round(measured["wall_s"], 3), "ideal_s": round(ideal, 3),
            "sweep_cpu_s": round(measured["cpu_s"], 3),
            "ratio": round(measured["wall_s"] / ideal, 2), "peak_rss_mib": round(measured["rss_kib"] / 1024, 1)}


def sweep_table(row: Dict[str, Any]) -> List[str]:
    return ["", "| sweep | calls (floor: pages + deletions) | listing pages | deletions | concurrency | latency "
                "| wall | ideal | wall/ideal | the sweep's CPU | peak RSS MiB |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            f"| {row['grants']} authorizations × {row['users']} IAM users, {row['orphans']} orphans | {row['calls']} "
            f"({row['floor_calls']}) | {row['listing_pages']} | {row['deletions']} | {row['concurrency']} | "
            f"{row['latency_ms']:.0f} ms | {row['wall_s']} s | {row['ideal_s']} s | {row['ratio']} | "
            f"{row['sweep_cpu_s']} s | {row['peak_rss_mib']} |"]


def main() -> int:
    results: Dict[str, Any] = {"machine": machine(), "runs": RUNS, "functions": {}}
    with Emulator() as emulator, tempfile.TemporaryDirectory() as scratch:
        emulator.add_credentials(AK, SK, TOKEN)
        for service in functions.service_names():
            os.environ[f"HUAWEICLOUD_SDK_REGION_{service}_CN_NORTH_4"] = emulator.endpoint
        for function in SDK:
            print(f"measuring {function} …", file=sys.stderr, flush=True)
            tree = package_tree(function, Path(scratch) / function / "nopyc")
            compiled = Path(shutil.copytree(tree, Path(scratch) / function / "pyc"))
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(compiled)], check=True)
            row: Dict[str, Any] = {}
            for pyc, code in (("pyc", compiled), ("nopyc", tree)):
                for mode in ("handler", "naive", "floor"):
                    row[f"{mode}_{pyc}"] = cold_runs(emulator, mode, function, code, pyc == "pyc")
                row[f"handler/naive_{pyc}"] = ratio(row[f"handler_{pyc}"], row[f"naive_{pyc}"])
                row[f"handler/floor_{pyc}"] = ratio(row[f"handler_{pyc}"], row[f"floor_{pyc}"])
            row["warm"] = warm(emulator, function)
            row["package_mib"] = round(sum(f.stat().st_size for f in tree.rglob("*") if f.is_file()) / 2**20, 1)
            results["functions"][function] = row
        results["bulk_offboarding"] = bulk(emulator)
        results["sweep"] = sweep(emulator)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2))
    print("\n".join([table(results), *sweep_table(results["sweep"])]))
    return 0


def ratio(a: Dict[str, Any], b: Dict[str, Any]) -> float:
    return round(a["median_ms"] / b["median_ms"], 2)


def machine() -> Dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "processor": _cpu_model()}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def table(results: Dict[str, Any]) -> str:
    lines = [f"fgrevoke benchmarks — Python {results['machine']['python']}, {results['machine']['cpus']} CPUs "
             f"({results['machine']['processor']}), {results['runs']} runs each, median (IQR) ms / peak RSS MiB", ""]
    head = "| function | .pyc | handler | naive | floor | handler/naive | handler/floor |"
    lines += [head, "|---|---|---|---|---|---|---|"]
    for function, row in results["functions"].items():
        for pyc in ("pyc", "nopyc"):
            cells = [f"{row[f'{m}_{pyc}']['median_ms']} ({row[f'{m}_{pyc}']['iqr_ms']}) / "
                     f"{row[f'{m}_{pyc}']['peak_rss_mib']}" for m in ("handler", "naive", "floor")]
            lines.append(f"| {function} | {'yes' if pyc == 'pyc' else 'no'} | " + " | ".join(cells) +
                         f" | {row[f'handler/naive_{pyc}']} | {row[f'handler/floor_{pyc}']} |")
    lines += ["", "| function | warm handler/s | bare SDK calls/s | ratio | ratio, LOG_LEVEL=ERROR "
                  "| package MiB (unzipped, no .pyc) |",
              "|---|---|---|---|---|---|"]
    for function, row in results["functions"].items():
        warm_row = row["warm"]
        lines.append(f"| {function} | {warm_row['handler_per_s']} | {warm_row['bare_sdk_per_s']} | "
                     f"{warm_row['ratio']} | {warm_row['ratio_log_level_error']} | {row['package_mib']} |")
    bulk_row = results["bulk_offboarding"]
    lines += ["", "| bulk offboarding | removal calls (minimum) | listing pages | calls / (minimum + pages) "
                  "| concurrency | latency | wall | ideal | wall/ideal |",
              "|---|---|---|---|---|---|---|---|---|",
              f"| {bulk_row['accounts']} accounts × {bulk_row['groups']} groups | {bulk_row['removal_calls']} "
              f"({bulk_row['minimum_removal_calls']}) | {bulk_row['listing_pages']} | {bulk_row['calls_ratio']} | "
              f"{bulk_row['concurrency']} | {bulk_row['latency_ms']:.0f} ms | {bulk_row['wall_s']} s | "
              f"{bulk_row['ideal_s']} s | {bulk_row['ratio']} |"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
