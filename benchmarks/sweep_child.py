"""One measured sweep in a fresh interpreter: the ModelArts handler, ``{"sweep": {}}``, its wall time and peak RSS.

Run by benchmarks/run.py (``sweep``) against its emulator; prints one JSON line. A dry-run sweep first warms the
instance (imports, clients, connections) as the previous day's run would have; the real sweep is timed. The peak RSS
is the process's whole life, the warm-up included.
"""

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    sys.path[:0] = [os.path.join(ROOT, "functions", "modelarts_delete_authorizations"), ROOT]
    import index

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from child import Context  # the measured child's context, with a sweep's time

    context = Context(json.loads(os.environ["BENCH_SETTINGS"]), request_id="bench-sweep", remaining_ms=900_000)
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # the function's log lines
    try:
        index.handler({"sweep": {}, "dry_run": True}, context)
        started, cpu = time.perf_counter(), time.process_time()
        result = index.handler({"sweep": {}}, context)
    finally:
        sys.stdout = stdout
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    with open("/proc/self/status") as status:  # VmHWM: this process's own peak
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "rss_kib": peak, "summary": result.get("summary"),
                      "status": result.get("status"), "upstream_calls": result.get("upstream_calls")}))


main()
