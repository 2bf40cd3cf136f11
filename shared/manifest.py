"""One declaration per function: the service it calls, the IAM actions that needs, the settings it reads.

Each ``functions/<folder>/manifest.py`` defines ``MANIFEST = FunctionManifest(...)``. The handler reads it
at run time (``beside(__file__)``); packaging, ``fgrevoke validate``, the docs tables and the tests read the
same object, so nothing about a function is kept in a second place. Plain data: runs on Python 3.9+.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Final, Optional, Tuple, Union

from shared.errors import ConfigurationError, InvalidRequest

if TYPE_CHECKING:  # shared.clients imports shared.settings, which imports this module
    from shared.clients import Service

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
MANIFEST_FILE = "manifest.py"
_load_lock = threading.Lock()


class Kind(str, Enum):
    """How a setting's text is read."""

    TEXT = "text"
    FLAG = "flag"  # true/false (also 1/0, yes/no, on/off)
    INTEGER = "integer"
    NUMBER = "number"  # a decimal, e.g. a fraction
    SECONDS = "seconds"
    LIST = "list"  # comma-separated; blanks and duplicates dropped, order kept
    CHOICE = "choice"  # one of ``choices``, in any letter case

    def __str__(self) -> str:
        return str(self.value)


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class Setting:
    """A function setting (an environment variable): its type, default, allowed values and meaning."""

    __slots__ = ("name", "kind", "doc", "default", "low", "high", "choices", "pattern", "pattern_doc", "required",
                 "secret", "entry")
    name: Final[str]
    kind: Final[Kind]
    doc: Final[str]
    default: Final[Any]
    low: Final[Optional[float]]
    high: Final[Optional[float]]
    choices: Final[Tuple[str, ...]]
    pattern: Final[str]  # a TEXT value must match it
    pattern_doc: Final[str]  # what a match looks like, for the error message
    required: Final[bool]  # no default: the template must give it
    secret: Final[bool]  # only ever in EncryptedVariables
    entry: Final[Optional[Callable[[Any, str], Any]]]  # a LIST entry's parser (the request field's own)

    def __init__(self, name: str, kind: Kind, doc: str, default: Any = None, low: Optional[float] = None,
                 high: Optional[float] = None, choices: Tuple[str, ...] = (), pattern: str = "", pattern_doc: str = "",
                 required: bool = False, secret: bool = False,
                 entry: Optional[Callable[[Any, str], Any]] = None) -> None:
        self.name = name
        self.kind = kind
        self.doc = doc
        self.default = default
        self.low = low
        self.high = high
        self.choices = choices
        self.pattern = pattern
        self.pattern_doc = pattern_doc
        self.required = required
        self.secret = secret
        self.entry = entry

    def parse(self, raw: Optional[str]) -> Any:
        """The typed value of ``raw`` (absent or blank: the default); the error names the setting."""
        value = None if raw is None else str(raw).strip() or None
        if value is None:
            if self.required:
                raise ConfigurationError(f"setting {self.name} is missing: set it to {self.doc}", field=self.name)
            return self.default
        if self.kind is Kind.FLAG:
            return self._flag(value)
        if self.kind in (Kind.INTEGER, Kind.NUMBER, Kind.SECONDS):
            return self._number(value)
        if self.kind is Kind.LIST:
            return self._entries(value)
        if self.kind is Kind.CHOICE:
            return self._choice(value)
        if self.pattern and not re.match(self.pattern, value):
            raise ConfigurationError(f"setting {self.name} is not {self.pattern_doc}: {value!r}", field=self.name)
        return value

    def read(self, source: Any) -> Any:
        """The value from a settings source (anything with ``get(name) -> Optional[str]``)."""
        return self.parse(source.get(self.name))

    def problem(self, raw: Optional[str]) -> Optional[str]:
        """Why the function would refuse ``raw`` at run time, or None."""
        try:
            self.parse(raw)
        except ConfigurationError as error:
            return error.message
        return None

    @property
    def default_text(self) -> str:
        """The default as a person would write it in the template."""
        if self.required:
            return "required"
        if self.default is None or self.default == ():
            return "empty"
        if self.kind is Kind.FLAG:
            return str(self.default).lower()
        if self.kind in (Kind.INTEGER, Kind.NUMBER, Kind.SECONDS):
            return f"{self.default:g}"
        return str(self.default)

    @property
    def allowed(self) -> str:
        """The allowed values, for docs and messages."""
        if self.kind is Kind.FLAG:
            return "true or false"
        if self.kind in (Kind.INTEGER, Kind.NUMBER, Kind.SECONDS):
            unit = " seconds" if self.kind is Kind.SECONDS else ""
            return f"{_number_text(self.low)} to {_number_text(self.high)}{unit}"
        if self.kind is Kind.CHOICE:
            return ", ".join(self.choices)
        if self.kind is Kind.LIST:
            return "comma-separated list"
        if self.secret:
            return "text, in EncryptedVariables only"
        return self.pattern_doc or "text"

    def _flag(self, value: str) -> bool:
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigurationError(f"setting {self.name} must be true or false, not {value!r}", field=self.name)

    def _number(self, value: str) -> Union[int, float]:
        whole = self.kind is Kind.INTEGER
        try:
            number: Optional[Union[int, float]] = int(value) if whole else float(value)
        except ValueError:
            number = None
        low = float("-inf") if self.low is None else self.low
        high = float("inf") if self.high is None else self.high
        if number is None or not low <= number <= high:  # NaN fails the comparison too
            what = "a whole number" if whole else "a number of seconds" if self.kind is Kind.SECONDS else "a number"
            raise ConfigurationError(f"setting {self.name} must be {what} from {_number_text(self.low)} to "
                                     f"{_number_text(self.high)}, not {value!r}", field=self.name)
        return number

    def _entries(self, value: str) -> Tuple[Any, ...]:
        entries = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        if self.entry is None:
            return entries
        try:  # a bad entry is a configuration error, never a silent miss
            return tuple(self.entry(item, f"{self.name}[{index}]") for index, item in enumerate(entries))
        except InvalidRequest as problem:
            raise ConfigurationError(f"setting {problem.message}", field=self.name) from None

    def _choice(self, value: str) -> str:
        for choice in self.choices:
            if value.upper() == choice.upper():
                return choice
        raise ConfigurationError(f"setting {self.name} must be one of {', '.join(self.choices)}, not {value!r}",
                                 field=self.name)


def text(name: str, doc: str, default: Optional[str] = None, *, pattern: str = "", pattern_doc: str = "",
         required: bool = False, secret: bool = False) -> Setting:
    return Setting(name, Kind.TEXT, doc, default, pattern=pattern, pattern_doc=pattern_doc, required=required,
                   secret=secret)


def flag(name: str, doc: str, default: bool) -> Setting:
    return Setting(name, Kind.FLAG, doc, default)


def integer(name: str, doc: str, default: int, low: int, high: int) -> Setting:
    return Setting(name, Kind.INTEGER, doc, default, low, high)


def number(name: str, doc: str, default: float, low: float, high: float) -> Setting:
    return Setting(name, Kind.NUMBER, doc, default, low, high)


def seconds(name: str, doc: str, default: float, low: float, high: float) -> Setting:
    return Setting(name, Kind.SECONDS, doc, default, low, high)


def items(name: str, doc: str, entry: Optional[Callable[[Any, str], Any]] = None) -> Setting:
    return Setting(name, Kind.LIST, doc, (), entry=entry)


def choice(name: str, doc: str, default: str, choices: Tuple[str, ...]) -> Setting:
    return Setting(name, Kind.CHOICE, doc, default, choices=choices)


def _number_text(number: Optional[float]) -> str:
    return "" if number is None else f"{number:g}"


# -- the settings every function reads (shared/settings.py) ---------------------------------------------
REGION = text("REGION", "the region of the services, e.g. cn-north-4", required=True,
              pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$", pattern_doc="a region id like cn-north-4")
PROJECT_ID = text("PROJECT_ID", "the project whose access is revoked; empty: the function's own project "
                                "(RUNTIME_PROJECT_ID)", pattern=r"^[A-Za-z0-9_-]{1,64}$", pattern_doc="a project id")
DRY_RUN = flag("DRY_RUN", "report what would be revoked, revoke nothing; a request can turn it on, never off",
               True)
LOG_LEVEL = choice("LOG_LEVEL", "the lowest level of log line written", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
MAX_CONCURRENCY = integer("MAX_CONCURRENCY", "upstream calls in flight at once, per target", 4, 1, 32)
MAX_ATTEMPTS = integer("MAX_ATTEMPTS", "tries per upstream call, the first included (transient errors only)",
                       4, 1, 10)
RETRY_BASE_DELAY = seconds("RETRY_BASE_DELAY", "first backoff delay; doubles per retry, jittered", 0.25, 0.01, 10.0)
HTTP_CONNECT_TIMEOUT = seconds("HTTP_CONNECT_TIMEOUT", "connect timeout of each upstream call", 3.0, 0.1, 60.0)
TARGETS = items("TARGETS", "where the function acts: region/project_id, region/* (every project of the region), * "
                           "(every region), each optionally account_id:agency_name@ for a member account; empty: "
                           "PROJECT_ID in REGION only", lambda value, where: _scope().entry(value, where))
TARGET_CONCURRENCY = integer("TARGET_CONCURRENCY", "targets (region, project, account) worked on at once", 4, 1, 32)
HTTP_READ_TIMEOUT = seconds("HTTP_READ_TIMEOUT", "read timeout of each upstream call", 10.0, 0.1, 300.0)
# Only without an agency (local runs): the agency's temporary keys win when present.
HUAWEICLOUD_SDK_AK = text("HUAWEICLOUD_SDK_AK", "access key, only without an agency", secret=True)
HUAWEICLOUD_SDK_SK = text("HUAWEICLOUD_SDK_SK", "secret key, only without an agency", secret=True)
HUAWEICLOUD_SDK_SECURITY_TOKEN = text("HUAWEICLOUD_SDK_SECURITY_TOKEN", "security token of temporary keys, only "
                                      "without an agency", secret=True)
SHARED_SETTINGS: Tuple[Setting, ...] = (
    REGION, PROJECT_ID, TARGETS, TARGET_CONCURRENCY, DRY_RUN, LOG_LEVEL, MAX_CONCURRENCY, MAX_ATTEMPTS,
    RETRY_BASE_DELAY, HTTP_CONNECT_TIMEOUT,
    HTTP_READ_TIMEOUT, HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN)


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class Action:
    """An IAM action the function's agency must allow, and why."""

    __slots__ = ("name", "why", "called")
    name: Final[str]
    why: Final[str]
    called: Final[bool]  # False: no call of ours needs it alone; the service requires it alongside another

    def __init__(self, name: str, why: str, called: bool = True) -> None:
        self.name = name
        self.why = why
        self.called = called


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class FunctionManifest:
    """Everything the tooling and the handler need to know about one function."""

    __slots__ = ("operation", "summary", "service", "api", "actions", "settings", "reads", "offboards")
    operation: Final[str]  # names the function in logs and responses, e.g. modelarts.delete_authorizations
    summary: Final[str]
    service: Final["Service"]  # the SDK service it calls: package, client, region table
    api: Final[str]  # the revoking API, e.g. "DELETE /v2/{project_id}/authorizations (DeleteAuthorizations)"
    actions: Final[Tuple[Action, ...]]
    settings: Final[Tuple[Setting, ...]]  # its own; SHARED_SETTINGS come with every function
    reads: Final[Tuple["Service", ...]]  # other SDK services it lists (the sweep's directories): shipped too
    offboards: Final[bool]  # acts on IAM user deletions (CTS); False: what it revokes is not a person's

    def __init__(self, operation: str, summary: str, service: "Service", api: str, actions: Tuple[Action, ...],
                 settings: Tuple[Setting, ...] = (), reads: Tuple["Service", ...] = (), offboards: bool = True) -> None:
        self.operation = operation
        self.summary = summary
        self.service = service
        self.api = api
        self.actions = actions
        self.settings = settings
        self.reads = reads
        self.offboards = offboards
        _DECLARED[operation] = self

    @property
    def required_actions(self) -> Tuple[str, ...]:
        """The agency's least privilege: exactly what its AgencyPolicy must allow."""
        return tuple(action.name for action in self.actions)

    @property
    def sdk_distribution(self) -> str:
        """The PyPI distribution of its service SDK, e.g. huaweicloudsdkmodelarts."""
        return self.service.package.split(".")[0]

    @property
    def sdk_distributions(self) -> Tuple[str, ...]:
        """Every SDK distribution it ships: its service's, then those of the services it reads."""
        return tuple(dict.fromkeys(service.package.split(".")[0] for service in (self.service, *self.reads)))

    @property
    def all_settings(self) -> Tuple[Setting, ...]:
        return SHARED_SETTINGS + self.settings

    def setting(self, name: str) -> Setting:
        for declared in self.all_settings:
            if declared.name == name:
                return declared
        raise KeyError(f"{self.operation} declares no setting {name}")

    def value(self, name: str, source: Any) -> Any:
        """The typed value of one declared setting from a settings source."""
        return self.setting(name).read(source)


def _scope() -> Any:
    from shared import scope  # only a function with TARGETS set reads one: the default cold start stays lean

    return scope


_DECLARED: Dict[str, FunctionManifest] = {}  # every manifest loaded in this process, by operation
# Calls of the shared scope code (shared/accounts.py): KeystoneListAuthProjects needs no permission.
SCOPE_ACTIONS = {"sts.assume_agency": "sts:agencies:assume"}


def action_for(call: str) -> Optional[str]:
    """The IAM action an SDK call (``service.sdk_method``, as in the audit log) needs, where a manifest says.

    An action's ``why`` starts with the API's name (``GetAuthorizations: ...``); the call is its snake case.
    """
    if call in SCOPE_ACTIONS:
        return SCOPE_ACTIONS[call]
    method = call.partition(".")[2]
    for declared in list(_DECLARED.values()):
        for action in declared.actions:
            api = action.why.split(":", 1)[0].strip()
            if re.sub(r"(?<!^)(?=[A-Z])", "_", api).lower() == method:
                return action.name
    return None


def load(folder: Union[str, Path]) -> FunctionManifest:
    """The ``MANIFEST`` of ``<folder>/manifest.py``, imported once per process under a name of its own
    (every function's file is called manifest.py, so none may take the plain name)."""
    path = (Path(folder) / MANIFEST_FILE).resolve()
    module_name = "fgrevoke_manifest_" + re.sub(r"\W", "_", str(path.parent))
    with _load_lock:
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None or not path.is_file():
                raise FileNotFoundError(f"{path}: no manifest; every function folder has one")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules[module_name] = module
    manifest = getattr(module, "MANIFEST", None)
    if not isinstance(manifest, FunctionManifest):
        raise TypeError(f"{path} must define MANIFEST = FunctionManifest(...)")
    return manifest


def beside(module_file: str) -> FunctionManifest:
    """The manifest in the folder of ``module_file``: ``beside(__file__)`` in a handler."""
    return load(Path(module_file).parent)


# -- the sweep's settings (shared/sweep.py), declared by the functions that sweep ------------------------
SWEEP_MAX_FRACTION = number("SWEEP_MAX_FRACTION", "sweep breaker: a target whose sweep would revoke more than "
                                                  "this fraction of its grants revokes nothing there "
                                                  "(breaker_tripped); a request may lower it, never raise it",
                            0.1, 0.0, 1.0)
SWEEP_MAX_COUNT = integer("SWEEP_MAX_COUNT", "sweep breaker: a target whose sweep would revoke more than this many "
                                             "grants revokes nothing there (breaker_tripped); a request may lower "
                                             "it, never raise it", 50, 0, 100_000)
SWEEP_MIN_AGE_HOURS = number("SWEEP_MIN_AGE_HOURS", "sweep grace: a grant younger than this is not swept (IAM and "
                                                    "the service are eventually consistent), where the listing "
                                                    "gives its age; a request may lengthen it, never shorten it",
                             24.0, 0.0, 8760.0)
SWEEP_SETTINGS: Tuple[Setting, ...] = (SWEEP_MAX_FRACTION, SWEEP_MAX_COUNT, SWEEP_MIN_AGE_HOURS)
