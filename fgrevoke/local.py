"""A function's handler run on this machine (``fgrevoke invoke`` and ``fgrevoke serve``).

Every setting takes effect or is refused by name. The function's settings come from the template
(with ``--param``), then the shell, then ``--env-file``; the SDK's own variables (endpoints, proxies)
from the shell or the env file are set in this process, where the SDK reads them. ``--emulator`` points
the endpoints at an embedded, seeded emulator and refuses any setting that would send calls elsewhere.
Without it, a run that would revoke for real names the endpoint and project and needs a confirmation.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, MutableMapping, Optional, Set

from fgrevoke import functions, testkit, user_files
from fgrevoke.emulator import Emulator
from fgrevoke.emulator import seed as seeding
from fgrevoke.errors import ToolError, UsageError
from fgrevoke.template import FunctionSpec
from fgrevoke.testkit import AgencyKeys
from shared import manifest, triggers
from shared.clients import Service
from shared.errors import ConfigurationError, RevokeError
from shared.settings import SettingsSource

# What the SDK and the HTTP library read from the process environment, not from the function's settings.
SDK_VARIABLE = re.compile(r"^(HUAWEICLOUD_SDK_REGION_[A-Z0-9_]+|HUAWEICLOUD_SDK_REGIONS_FILE|"
                          r"HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE)$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A name worth repeating back: a pasted key (no underscore, long) or token before a '=' is not shown.
SETTING_NAME = re.compile(r"^(?=.*_|.{1,12}$)[A-Z][A-Z0-9_]*$")
LOOPBACK = "127.0.0.1,localhost"
EMULATOR_KEYS = AgencyKeys("EMULATORACCESSKEY0001", "emulator-secret-key-0123456789abcdefghij", "emulator-token==")
KEY_NAMES = ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN")


def read_env_file(path: Optional[Path]) -> Dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped. A mistake names the line by number only: a line
    that is not KEY=VALUE is often a key pasted on its own, which must not reach the terminal."""
    values: Dict[str, str] = {}
    if path is None:
        return values
    text = user_files.read_text(path, "--env-file")
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        if not sep:
            raise UsageError(f"--env-file {path}, line {number}: no '=' (the line is not shown: it may hold a "
                             "secret); write KEY=VALUE, or # before a comment")
        if not ENV_NAME.match(key):
            raise UsageError(f"--env-file {path}, line {number}: the name before '=' is not a variable name "
                             "(letters, digits and _, not starting with a digit); the line is not shown: it may "
                             "hold a secret")
        values[key] = value.strip().strip('"').strip("'")
    return values


def services(folder: str) -> List[Service]:
    """The SDK services the function's handler calls, and those its manifest says it reads (the sweep's)."""
    module = functions.load(folder)
    called = [value for value in vars(module).values() if isinstance(value, Service)]
    return list(dict.fromkeys([*called, *functions.manifest(folder).reads]))


@dataclass
class Embedded:
    """The emulator ``--emulator`` starts in this process, seeded with what the sample events name."""

    emulator: Emulator = field(default_factory=lambda: Emulator().start())
    seeded: Set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.emulator.add_credentials(EMULATOR_KEYS.access_key, EMULATOR_KEYS.secret_key,
                                      EMULATOR_KEYS.security_token)

    def seed(self, project_id: str) -> None:
        if project_id not in self.seeded:
            seeding.apply(self.emulator, seeding.example(project_id))
            self.seeded.add(project_id)

    def stop(self) -> None:
        self.emulator.stop()


@dataclass
class Prepared:
    """One function, ready to run: its handler, its context's settings and keys, and where its calls go."""

    spec: FunctionSpec
    handler: Callable[[Any, Any], Any]
    settings: Dict[str, str]
    origins: Dict[str, str]
    keys: Optional[AgencyKeys]
    endpoints: Dict[str, List[str]]

    def context(self) -> testkit.LocalContext:
        return testkit.context(self.settings, keys=self.keys, function_name=self.spec.name,
                               timeout_seconds=float(self.spec.properties.get("Timeout", 30)))

    def setting(self, name: str) -> str:
        """``NAME=value from <where it came from>``."""
        return f"{name}={self.settings.get(name) or '(not set)'} from {self.origins.get(name, 'the default')}"

    @property
    def project(self) -> str:
        return self.settings.get("PROJECT_ID") or self.settings.get("RUNTIME_PROJECT_ID") or ""

    def revokes_for_real(self, event: Any = None) -> bool:
        """DRY_RUN=false in effect: the setting is off and the event (None: any event) does not ask for a dry run."""
        try:
            if manifest.DRY_RUN.read(SettingsSource(self.context())):
                return False
            if event is None:
                return True
            payloads = triggers.parse(event).payloads
        except RevokeError:  # the function refuses the setting or the event before any call
            return False
        return not payloads or not all(isinstance(payload, dict) and payload.get("dry_run") is True
                                       for payload in payloads)

    def destination(self) -> str:
        where = "; ".join(f"{name} {', '.join(urls) or '(no endpoint: the function will refuse the region)'}"
                          for name, urls in self.endpoints.items())
        return (f"{self.spec.folder} revokes for real ({self.setting('DRY_RUN')}) through {where} "
                f"in project {self.project or '(not set: the function will refuse)'}, "
                f"region {self.settings.get('REGION') or '(not set)'}")


def settings_read(folder: str) -> List[str]:
    """Every setting the function reads: its manifest's, and the shared ones."""
    return [setting.name for setting in functions.manifest(folder).all_settings]


def check_env_file(env_file: Mapping[str, str], folders: List[str]) -> None:
    """Refuse, by name, what the env file sets that neither these functions nor the SDK read."""
    reads = sorted({name for folder in folders for name in settings_read(folder)})
    unknown = [name for name in env_file if name not in reads and not SDK_VARIABLE.match(name)]
    if unknown:
        shown = sorted(name for name in unknown if SETTING_NAME.match(name))
        hidden = len(unknown) - len(shown)
        named = ", ".join(shown + ([f"{hidden} name(s) not shown, as they look like secrets"] if hidden else []))
        raise UsageError(f"the env file sets {named}, which neither {' nor '.join(folders)} nor the SDK "
                         f"reads; the functions read {', '.join(reads)}, the SDK HUAWEICLOUD_SDK_REGION_<SERVICE>_"
                         "<REGION>, HUAWEICLOUD_SDK_REGIONS_FILE and the proxy variables")


def prepare(spec: FunctionSpec, env_file: Mapping[str, str], embedded: Optional[Embedded],
            environ: MutableMapping[str, str] = os.environ) -> Prepared:
    """The function's settings from every source, the SDK variables set in ``environ``, checked."""
    reads = settings_read(spec.folder)
    settings = {name: str(value) for name, value in spec.variables.items()}
    origins = {name: "template.yml" for name in settings}
    for name in reads:
        if environ.get(name):
            settings[name], origins[name] = environ[name], "the environment"
    for name, value in env_file.items():
        if name in reads:
            settings[name], origins[name] = value, "the env file"
    sdk_variables = {name: value for name, value in env_file.items() if SDK_VARIABLE.match(name)}
    keys: Optional[AgencyKeys] = None
    used = services(spec.folder)
    if embedded is not None:
        if not settings.get("PROJECT_ID"):
            settings["PROJECT_ID"], origins["PROJECT_ID"] = seeding.EXAMPLE_PROJECT, "--emulator"
        embedded.seed(settings["PROJECT_ID"])
        keys = _emulator_keys(settings, embedded)
        for name in _endpoint_variables(used, settings.get("REGION", "")):
            given = sdk_variables.get(name) or (environ.get(name) if environ.get(name) != embedded.emulator.endpoint
                                                else None)
            if given:
                source = "the env file" if name in sdk_variables else "the environment"
                raise UsageError(f"--emulator sends the calls to the embedded emulator, but {source} sets {name}="
                                 f"{given}: remove it, or drop --emulator to use that endpoint")
            sdk_variables[name] = embedded.emulator.endpoint
        sdk_variables["NO_PROXY"] = ",".join(filter(None, (environ.get("NO_PROXY"), LOOPBACK)))
    environ.update(sdk_variables)
    return Prepared(spec, functions.load(spec.folder).handler, settings, origins, keys,
                    {service.client_class[:-len("Client")]: _endpoints(service, settings.get("REGION", ""))
                     for service in used})


def _emulator_keys(settings: Dict[str, str], embedded: Embedded) -> Optional[AgencyKeys]:
    """The keys the function will sign with take effect: the emulator accepts them."""
    access_key, secret_key = settings.get("HUAWEICLOUD_SDK_AK"), settings.get("HUAWEICLOUD_SDK_SK")
    if access_key and secret_key:
        embedded.emulator.add_credentials(access_key, secret_key, settings.get("HUAWEICLOUD_SDK_SECURITY_TOKEN"))
        return None
    return EMULATOR_KEYS


def _endpoint_variables(used: List[Service], region: str) -> List[str]:
    return [f"HUAWEICLOUD_SDK_REGION_{service.env_name}_{region.upper().replace('-', '_')}" for service in used]


def _endpoints(service: Service, region: str) -> List[str]:
    """Where the SDK will send this service's calls (it reads the endpoint variables at call time)."""
    service.sdk()
    region_class = getattr(importlib.import_module(service.region_module), service.region_class)
    try:
        return list(region_class.value_of(region).endpoints)
    except KeyError:
        return []


def confirm(prepared: List[Prepared], event: Any, yes: bool) -> None:
    """Before revoking for real: say where, and go on only with ``--yes`` or a yes on a terminal."""
    real = [item for item in prepared if item.revokes_for_real(event)]
    if not real:
        return
    where = "; ".join(item.destination() for item in real)
    if yes:
        print(f"fgrevoke: {where}", file=sys.stderr, flush=True)
        return
    if sys.stdin.isatty() and sys.stderr.isatty():
        print(f"fgrevoke: {where}\nGo ahead? [y/N] ", end="", file=sys.stderr, flush=True)  # stdout: the result
        if sys.stdin.readline().strip().lower() in ("y", "yes"):
            return
        raise ToolError("not confirmed: nothing was sent")
    raise UsageError(f"{where}. Nothing was sent: give --yes to go ahead, or use --emulator, or set DRY_RUN=true")


@contextlib.contextmanager
def logs_to_stderr() -> Iterator[None]:
    """The handler logs to stdout (for LTS); locally the result owns stdout."""
    stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        yield
    finally:
        sys.stdout = stdout


def run(prepared: Prepared, event: Any) -> Any:
    with logs_to_stderr():
        return prepared.handler(event, prepared.context())


def problem(result: Any, prepared: Prepared) -> Optional[str]:
    """One line saying what went wrong and what to do, for a result that is a failure; None otherwise."""
    body = result
    if isinstance(result, dict) and "statusCode" in result and isinstance(result.get("body"), str):
        import json

        try:
            body = json.loads(result["body"])
        except ValueError:
            return f"{prepared.spec.folder} answered HTTP {result['statusCode']}"
    if not isinstance(body, dict):
        return None
    status = body.get("status")
    if status in ("rejected", "error"):
        return f"{prepared.spec.folder} answered {status}: {body.get('error_code')}: {body.get('error_msg')}"
    if status not in ("failed", "partially_failed"):
        return None
    failed = [item for item in body.get("items", []) if item.get("outcome") == "failed"]
    first = failed[0] if failed else {}
    code, message = str(first.get("error_code")), str(first.get("error_msg"))
    return (f"{prepared.spec.folder}: {len(failed)} of {len(body.get('items', []))} revocation(s) failed, "
            f"first: {code}: {message[:200]}; {_hint(code, prepared)}")


def _hint(code: str, prepared: Prepared) -> str:
    endpoints = ", ".join(url for urls in prepared.endpoints.values() for url in urls)
    if code in ("FGR.ConnectionError", "FGR.Timeout"):
        return f"check the network, any proxy (HTTPS_PROXY) and the endpoint ({endpoints})"
    if code.startswith("APIG.03") or code in ("401", "403"):
        return ("check the keys (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN) "
                "and their permissions")
    return "the function's log lines above say more"


def raised(error: Exception, prepared: Prepared) -> str:
    """What FunctionGraph would record as a failed (asynchronous) invocation, as one line."""
    hint = ""
    if isinstance(error, ConfigurationError):
        hint = ": fix the setting (--env-file, --param or the template)"
    return f"{prepared.spec.folder} raised {type(error).__name__}: {error}{hint}"
