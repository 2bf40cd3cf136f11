"""One measured bulk offboarding in its own interpreter: the Workspace App handler, its wall time and CPU.

Run by benchmarks/run.py (``bulk``) against its emulator, the request on stdin; prints one JSON line. The
emulator runs in the parent: as a real service, its work does not take this process's CPU (one interpreter
runs one thread at a time). A request for a person in no group first warms the instance (imports, client,
connections) as an earlier invocation would have; the bulk request is timed.
"""

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARM_UP = "bench-warm-up"  # an account no group holds: one listing page, nothing removed


def main():
    sys.path[:0] = [os.path.join(ROOT, "functions", "workspaceapp_batch_delete_app_group_authorization"), ROOT]
    import index

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from child import Context  # the measured child's context

    request = json.load(sys.stdin)
    context = Context(json.loads(os.environ["BENCH_SETTINGS"]), request_id="bench-bulk", remaining_ms=300_000)
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # the function's log lines
    try:
        index.handler({"app_group_ids": request["app_group_ids"][:1], "accounts": [WARM_UP]}, context)
        started, cpu = time.perf_counter(), time.process_time()
        result = index.handler(request, context)
    finally:
        sys.stdout = stdout
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "summary": result.get("summary"), "status": result.get("status"),
                      "upstream_calls": result.get("upstream_calls")}))


main()
