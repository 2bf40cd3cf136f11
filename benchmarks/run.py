"""``make bench``: cold start, peak RSS, warm throughput and bulk offboarding, in one run.

Prints one table and writes benchmarks/results.json. Cold starts run what ships: the zips `fgrevoke package`
builds, unpacked, on the Python they were built for. Everything runs on loopback against the embedded
emulator; no timed assertions anywhere: these are measurements. ``--smoke`` (``make test``): one round of
each measurement, smaller, nothing written: it checks that the benchmark runs.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import targets  # noqa: E402
from benchmarks.child_snippets import NAIVE  # noqa: E402
from fgrevoke import functions, packaging, template  # noqa: E402
from fgrevoke.emulator import Emulator  # noqa: E402
from fgrevoke.testkit import LocalContext  # noqa: E402

SMOKE = "--smoke" in sys.argv[1:]
RUNS = 1 if SMOKE else int(os.environ.get("BENCH_RUNS", "10"))
MODES = ("handler", "naive", "floor")
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
WARM_UP = "bench-warm-up"  # the account of benchmarks/bulk_child.py's warm-up request


def seed(emulator: Emulator, function: str) -> None:
    if function.startswith("modelarts"):
        emulator.modelarts.seed(PROJECT, "u-bench")
    elif function.startswith("workspace_"):
        emulator.workspace.seed(PROJECT, policy_id="p-bench")
    else:  # a removal is sent only for a pair the service holds
        emulator.workspaceapp.seed_group(PROJECT, "g", "g-1")
        emulator.workspaceapp.grant(PROJECT, "g-1", "a")


# -- the code a function ships: its zip, unpacked --------------------------------------------------------
def unpacked(function: str, scratch: Path) -> Tuple[Path, str, int]:
    """The function's zip as `fgrevoke package` builds it, unpacked; the Python it was built for (else this
    one, without .pyc); its unzipped size in bytes."""
    spec = next(spec for spec in template.functions(template.load()) if spec.folder == function)
    package = prebuilt(function) or packaging.build(spec, scratch / "dist")
    code = scratch / function / "code"
    with zipfile.ZipFile(package.path) as archive:
        archive.extractall(code)
    return code, package.compiled_with or sys.executable, package.unzipped_bytes


def prebuilt(function: str) -> Optional[packaging.Package]:
    """``BENCH_ZIPS`` (tests/test_bench.py): a JSON file naming the zips this `make test` already built from the
    same sources, as `fgrevoke package` builds them."""
    if not os.environ.get("BENCH_ZIPS"):
        return None
    fields = json.loads(Path(os.environ["BENCH_ZIPS"]).read_text())[function]
    return packaging.Package(**{**fields, "path": Path(fields["path"])})


def without_pyc(code: Path, dest: Path) -> Path:
    """The unpacked zip less its .pyc files: a cold start that compiles every module it imports."""
    return Path(shutil.copytree(code, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")))


# -- cold start -----------------------------------------------------------------------------------
def cold_runs(emulator: Emulator, function: str, code: Path, python: str) -> Dict[str, Dict[str, Any]]:
    """Each run starts the three modes one after the other, so the machine's drift touches them alike. Two
    measures: the whole process (spawn to exit) and, inside it, the first import to the end of the invocation."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tempfile.mkdtemp(), "NO_PROXY": "127.0.0.1,localhost",
           "PYTHONDONTWRITEBYTECODE": "1", "BENCH_AK": AK, "BENCH_SK": SK, "BENCH_TOKEN": TOKEN,
           "BENCH_SETTINGS": json.dumps(SETTINGS), "BENCH_EVENT": json.dumps(EVENTS[function]),
           "BENCH_ENDPOINT": emulator.endpoint}
    for service in functions.service_names():
        env[f"HUAWEICLOUD_SDK_REGION_{service}_CN_NORTH_4"] = emulator.endpoint
    samples: Dict[str, Dict[str, List[float]]] = {mode: {"wall": [], "in_process": [], "rss": []} for mode in MODES}
    warm_ups = 0 if SMOKE else 1  # the first run warms the page cache and is not counted
    for run in range(warm_ups + RUNS):
        for mode in MODES:
            seed(emulator, function)
            command = [python, "-S", str(ROOT / "benchmarks" / "child.py"), mode, function, str(code)]
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"{mode} {function} failed:\n{done.stderr[-2000:]}")
            if run >= warm_ups:
                reported = json.loads(done.stdout.strip().splitlines()[-1])
                samples[mode]["wall"].append(wall * 1000)
                samples[mode]["in_process"].append(reported["in_process_ms"])
                samples[mode]["rss"].append(reported["rss_kib"] / 1024)
    return {mode: summary(values) for mode, values in samples.items()}


def summary(values: Dict[str, List[float]]) -> Dict[str, Any]:
    walls = values["wall"]
    quartiles = statistics.quantiles(walls, n=4) if len(walls) > 1 else [walls[0]] * 3
    return {"median_ms": round(statistics.median(walls), 1), "iqr_ms": round(quartiles[2] - quartiles[0], 1),
            "min_ms": round(min(walls), 1), "max_ms": round(max(walls), 1),
            "in_process_ms": round(statistics.median(values["in_process"]), 1),
            "peak_rss_mib": round(max(values["rss"]), 1)}


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
    fewest removal calls; ``calls/floor`` and ``wall/ideal`` say what the handler adds to it. The handler runs in
    a child process (benchmarks/bulk_child.py), warmed by one request first: the emulator's work for each call
    is the service's, and does not take the handler's interpreter.
    """
    group_ids = [emulator.workspaceapp.seed_group(PROJECT, f"g{i}", f"{8000 + i}") for i in range(groups)]
    names = [f"leaver{i:04d}" for i in range(accounts)]
    for group in group_ids:
        for name in names:
            emulator.workspaceapp.grant(PROJECT, group, name)
    emulator.journal.clear()
    for route in (REMOVE, LIST):
        emulator.inject(route, latency=latency, times=None)
    env = dict(os.environ, BENCH_AK=AK, BENCH_SK=SK, BENCH_TOKEN=TOKEN, NO_PROXY="127.0.0.1,localhost",
               BENCH_SETTINGS=json.dumps(dict(SETTINGS, MAX_CONCURRENCY=str(concurrency))))
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bulk_child.py")], env=env, text=True,
                          input=json.dumps({"app_group_ids": group_ids, "accounts": names}), capture_output=True,
                          check=False)
    emulator.clear_faults()
    if done.returncode != 0:
        raise SystemExit(f"the bulk offboarding benchmark failed:\n{done.stderr[-2000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["status"] == "succeeded" and not emulator.workspaceapp.pairs(PROJECT), measured["summary"]
    timed = [call for call in emulator.calls() if call["query"].get("account") != WARM_UP]
    removals = sum(call["route"] == REMOVE for call in timed)
    pages = sum(call["route"] == LIST for call in timed)
    minimum = -(-groups // 10) * -(-accounts // 50)
    floor = minimum + accounts * -(-groups // 100)  # a listing page holds up to 100 of a person's groups
    calls, wall = len(timed), measured["wall_s"]
    ideal = floor / concurrency * latency
    return {"groups": groups, "accounts": accounts, "calls": calls, "removal_calls": removals,
            "listing_pages": pages, "minimum_removal_calls": minimum, "floor_calls": floor,
            "calls_ratio": round(calls / floor, 3), "concurrency": concurrency, "latency_ms": latency * 1000,
            "wall_s": round(wall, 3), "ideal_s": round(ideal, 3), "ratio": round(wall / ideal, 2),
            "handler_cpu_s": round(measured["cpu_s"], 3)}


def bulk_by_group(emulator: Emulator, groups: int = 25, accounts: int = 1000, latency: float = 0.05,
                  concurrency: int = 4) -> Dict[str, Any]:
    """Issue 18: 1,000 people leave 25 groups; reading the groups' authorizations (10 pages each) costs fewer
    pages than one listing per person (1,000), so the handler reads by group. Compared with the removals plus
    the cheaper of the two listings."""
    result = bulk(emulator, groups, accounts, latency, concurrency)
    cheaper = min(accounts * -(-groups // 100), groups * -(-accounts // 100))
    ideal_calls = result["minimum_removal_calls"] + cheaper
    ideal_s = ideal_calls / concurrency * latency
    return {"calls": result["calls"], "ideal_calls": ideal_calls,
            "calls_ratio": round(result["calls"] / ideal_calls, 3),
            "listing_pages": result["listing_pages"], "cheaper_listing_pages": cheaper,
            "wall_s": result["wall_s"], "ideal_s": round(ideal_s, 3), "ratio": round(result["wall_s"] / ideal_s, 2),
            "handler_cpu_s": result["handler_cpu_s"]}


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
            code, python, unzipped = unpacked(function, Path(scratch))
            row: Dict[str, Any] = {"python": python_version(python)}
            for pyc, tree in (("pyc", code), ("nopyc", without_pyc(code, Path(scratch) / function / "nopyc"))):
                for mode, measured in cold_runs(emulator, function, tree, python).items():
                    row[f"{mode}_{pyc}"] = measured
                for measure in ("median_ms", "in_process_ms"):
                    suffix = "" if measure == "median_ms" else "_in_process"
                    row[f"handler/naive_{pyc}{suffix}"] = ratio(row, pyc, "naive", measure)
                    row[f"handler/floor_{pyc}{suffix}"] = ratio(row, pyc, "floor", measure)
            row["warm"] = warm(emulator, function, rounds=1, count=10) if SMOKE else warm(emulator, function)
            row["package_mib"] = round(unzipped / 2**20, 1)
            results["functions"][function] = row
        results["bulk_offboarding"] = bulk(emulator, groups=3, accounts=60) if SMOKE else bulk(emulator)
        results["bulk_offboarding_by_group"] = (bulk_by_group(emulator, groups=3, accounts=60) if SMOKE
                                                else bulk_by_group(emulator))
        results["account_wide"] = targets.fan_out(emulator, (AK, SK, TOKEN), projects_per_region=1 if SMOKE else 5)
        results["sweep"] = sweep(emulator, grants=200, users=200, orphans=5) if SMOKE else sweep(emulator)
    if not SMOKE:
        (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2))
    print("\n".join([table(results), *sweep_table(results["sweep"])]))
    return 0


def python_version(python: str) -> str:
    return subprocess.run([python, "-c", "import platform; print(platform.python_version())"], capture_output=True,
                          text=True, check=True).stdout.strip()


def ratio(row: Dict[str, Any], pyc: str, baseline: str, measure: str) -> float:
    return round(row[f"handler_{pyc}"][measure] / row[f"{baseline}_{pyc}"][measure], 2)


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
    lines = [f"fgrevoke benchmarks — Python {results['machine']['python']} (cold starts: the zip's runtime), "
             f"{results['machine']['cpus']} CPUs ({results['machine']['processor']}), {results['runs']} runs each, "
             "median (IQR) ms of the whole process / first import to end of invocation ms / peak RSS MiB", ""]
    head = "| function | Python | .pyc | handler | naive | floor | handler/naive | handler/floor |"
    lines += [head, "|---|---|---|---|---|---|---|---|"]
    for function, row in results["functions"].items():
        for pyc in ("pyc", "nopyc"):
            cells = [f"{row[f'{m}_{pyc}']['median_ms']} ({row[f'{m}_{pyc}']['iqr_ms']}) / "
                     f"{row[f'{m}_{pyc}']['in_process_ms']} / {row[f'{m}_{pyc}']['peak_rss_mib']}" for m in MODES]
            lines.append(f"| {function} | {row['python']} | {'yes' if pyc == 'pyc' else 'no'} | " + " | ".join(cells)
                         + f" | {row[f'handler/naive_{pyc}']} / {row[f'handler/naive_{pyc}_in_process']} | "
                         f"{row[f'handler/floor_{pyc}']} / {row[f'handler/floor_{pyc}_in_process']} |")
    lines += ["", "| function | warm handler/s | bare SDK calls/s | ratio | ratio, LOG_LEVEL=ERROR "
                  "| package MiB (unzipped) |",
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
    by_group = results["bulk_offboarding_by_group"]
    lines += ["", f"bulk offboarding, evidence by group: {by_group['calls']} calls / {by_group['ideal_calls']} "
                  f"(removals + the cheaper listing, {by_group['cheaper_listing_pages']} pages) = "
                  f"{by_group['calls_ratio']}; wall {by_group['wall_s']} s / ideal {by_group['ideal_s']} s = "
                  f"{by_group['ratio']}"]
    wide = results["account_wide"]
    lines += ["", f"account-wide offboarding: one person, {wide['targets']} targets in {wide['regions']} regions, "
                  f"{wide['latency_ms']:.0f} ms a call, TARGET_CONCURRENCY {wide['concurrency']}: {wide['calls']} "
                  f"calls (minimum {wide['minimum_calls']}); wall {wide['wall_s']} s / ideal {wide['ideal_s']} s = "
                  f"{wide['ratio']}"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
