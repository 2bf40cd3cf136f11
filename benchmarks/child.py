"""One measured process: import, build settings and client, serve one invocation, report the time from
its first import to the end of the invocation and its peak RSS.

Run by benchmarks/run.py as a fresh interpreter. Modes:
  handler  the function's index.handler (lazy SDK loading, shared runtime)
  naive    ordinary ``from huaweicloudsdk<service>.vN import ...``, build a client, one call
  floor    import requests and the SDK core, one HTTP call (no service SDK at all)
"""

import time

STARTED = time.perf_counter()  # before any other import: the in-process measure starts here

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


class Context:
    """A FunctionGraph context with the benchmark's keys (also the sweep's child: benchmarks/sweep_child.py)."""

    def __init__(self, settings, request_id="bench", remaining_ms=30000):
        self.settings, self.request_id, self.remaining_ms = settings, request_id, remaining_ms

    def getUserData(self, key, default=""):
        return self.settings.get(key, default)

    def getRequestID(self):
        return self.request_id

    def getRemainingTimeInMilliSeconds(self):
        return self.remaining_ms

    def getFunctionName(self):
        return "bench"

    def getSecurityAccessKey(self):
        return os.environ["BENCH_AK"]

    def getSecuritySecretKey(self):
        return os.environ["BENCH_SK"]

    def getSecurityToken(self):
        return os.environ["BENCH_TOKEN"]


def main():
    mode, function, code_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    settings = json.loads(os.environ["BENCH_SETTINGS"])
    sys.path.insert(0, code_dir)
    sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
    if mode == "handler":
        import index

        result = index.handler(json.loads(os.environ["BENCH_EVENT"]), Context(settings))
        assert result["status"] == "succeeded", result
    elif mode == "naive":
        from child_snippets import NAIVE

        namespace = {}
        exec(NAIVE[function], namespace)
        from huaweicloudsdkcore.auth.credentials import BasicCredentials

        credentials = BasicCredentials(os.environ["BENCH_AK"], os.environ["BENCH_SK"], settings["PROJECT_ID"])
        credentials = credentials.with_security_token(os.environ["BENCH_TOKEN"])
        client = namespace["C"].new_builder().with_credentials(credentials).with_region(
            namespace["G"].value_of(settings["REGION"])).build()
        namespace["call"](client)
    else:
        import huaweicloudsdkcore.client  # noqa: F401 - the floor includes the SDK core
        import requests

        response = requests.get(os.environ["BENCH_ENDPOINT"] + "/floor", timeout=5)
        assert response.status_code in (401, 404)
    in_process_ms = (time.perf_counter() - STARTED) * 1000
    # VmHWM is this program's own peak; ru_maxrss would carry the parent's across exec.
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    sys.stdout.write(json.dumps({"rss_kib": peak, "in_process_ms": round(in_process_ms, 2)}) + "\n")


if __name__ == "__main__":
    main()
