"""SDK clients: built once per warm instance, rebuilt when the agency's keys rotate."""

from __future__ import annotations

import functools
import importlib
import json
import math
import threading
from typing import Any, Dict, Final, Optional, Tuple

from shared.credentials import Credentials
from shared.deferred_imports import deferred_imports
from shared.errors import ServiceNotOffered
from shared.sdk_loader import service_package
from shared.settings import Settings

USER_AGENT = "fgrevoke/0.1"


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class Service:
    """An SDK service: its package, client class and Region class. One object per service (below): compared by
    identity."""

    __slots__ = ("package", "client_class", "region_module", "region_class", "env_name")
    package: Final[str]
    client_class: Final[str]
    region_module: Final[str]
    region_class: Final[str]
    env_name: Final[str]  # as in HUAWEICLOUD_SDK_REGION_<env_name>_<REGION>

    def __init__(self, package: str, client_class: str, region_module: str, region_class: str, env_name: str) -> None:
        self.package = package
        self.client_class = client_class
        self.region_module = region_module
        self.region_class = region_class
        self.env_name = env_name

    def sdk(self) -> Any:
        return service_package(self.package)


MODELARTS = Service("huaweicloudsdkmodelarts.v1", "ModelArtsClient",
                    "huaweicloudsdkmodelarts.v1.region.modelarts_region", "ModelArtsRegion", "MODELARTS")
WORKSPACE = Service("huaweicloudsdkworkspace.v2", "WorkspaceClient",
                    "huaweicloudsdkworkspace.v2.region.workspace_region", "WorkspaceRegion", "WORKSPACE")
WORKSPACEAPP = Service("huaweicloudsdkworkspaceapp.v1", "WorkspaceAppClient",
                       "huaweicloudsdkworkspaceapp.v1.region.workspaceapp_region", "WorkspaceAppRegion",
                       "WORKSPACEAPP")

# Read only when TARGETS asks for them: project discovery and the sweep (IAM), member accounts (STS).
IAM = Service("huaweicloudsdkiam.v3", "IamClient", "huaweicloudsdkiam.v3.region.iam_region", "IamRegion", "IAM")
STS = Service("huaweicloudsdksts.v1", "StsClient", "huaweicloudsdksts.v1.region.sts_region", "StsRegion", "STS")

_lock = threading.Lock()
_last_response = threading.local()
_clients: Dict[Tuple[str, str], Tuple[str, Any]] = {}
_region_lock = threading.Lock()
_region_classes: Dict[str, Any] = {}  # region module -> its Region class, once imported whole


def client_for(service: Service, settings: Settings, credentials: Credentials) -> Any:
    """Shared by concurrent invocations; a new client replaces the reference, never mutates one."""
    region = _region(service, settings)
    key = (service.package, f"{credentials.account_id}/{settings.region}/{settings.project_id}/"
                            f"{settings.connect_timeout}/{settings.read_timeout}/{settings.max_concurrency}/{','.join(region.endpoints)}")
    fingerprint = credentials.fingerprint()
    with _lock:
        cached = _clients.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        client = _build(service, settings, credentials, region)
        _clients[key] = (fingerprint, client)
        return client


def _region(service: Service, settings: Settings) -> Any:
    """The service's Region, with the SDK's own endpoint override applied (looked up each time)."""
    region_class = _region_classes.get(service.region_module) or _import_region_class(service)
    try:
        return region_class.value_of(settings.region)
    except KeyError:
        variable = f"HUAWEICLOUD_SDK_REGION_{service.env_name}_{settings.region.upper().replace('-', '_')}"
        raise ServiceNotOffered(
            f"{service.client_class[:-6]} has no endpoint in region {settings.region!r}: check REGION, "
            f"or give one with {variable}", field="REGION") from None


def _import_region_class(service: Service) -> Any:
    """First use on this instance; later invocations skip the import machinery.

    Under the lock: a concurrent first invocation must not find the region module in ``sys.modules``
    while another thread is still running it (half-initialised, without its Region class)."""
    with _region_lock:
        region_class = _region_classes.get(service.region_module)
        if region_class is None:
            service.sdk()  # the lazy package must exist before its region module is imported
            with deferred_imports("yaml"):  # only read when a ~/.huaweicloud/regions.yaml exists
                region_module = importlib.import_module(service.region_module)
            region_class = _region_classes[service.region_module] = getattr(region_module, service.region_class)
        return region_class


def _build(service: Service, settings: Settings, credentials: Credentials, region: Any) -> Any:
    sdk = service.sdk()
    from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig

    config = HttpConfig.get_default_config()
    config.timeout = (settings.connect_timeout, settings.read_timeout)
    config.retry_times = 0
    config.pool_connections = config.pool_maxsize = max(10, settings.max_concurrency)
    config.user_agent = USER_AGENT
    if service is IAM and credentials.account_id:  # a member account's own project is not known before discovery
        basic = GlobalCredentials(credentials.access_key, credentials.secret_key, credentials.account_id)
    else:
        basic = BasicCredentials(credentials.access_key, credentials.secret_key, settings.project_id)
    if credentials.security_token:
        basic = basic.with_security_token(credentials.security_token)
    client = (getattr(sdk, service.client_class).new_builder()
              .with_http_config(config)
              .with_credentials(basic)
              .with_region(region)  # project_id is given, so no IAM project lookup happens
              .with_exception_handler(_exception_handler())
              .with_http_handler(_http_handler())
              .build())
    _single_retry_layer(client, config.pool_maxsize)
    return client


def _single_retry_layer(client: Any, pool_size: int) -> None:
    # The SDK mounts urllib3 Retry(total=retry_times, status_forcelist=[429]): on DELETE it eats a
    # 429 even with retry_times=0 and loses its body, request id and Retry-After (docs/reference/sdk.md §3, §7.4).
    # A plain adapter hands every response to the SDK's error mapping and shared.retry decides.
    # It also holds each call to its total deadline (shared/call_deadline.py).
    from shared.call_deadline import WatchedAdapter

    session = client.get_http_client()._session
    adapter = WatchedAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


def unparsed(client: Any, method: str, request: Any) -> Any:
    """``client.<method>(request)`` whose answer is read only as JSON (``to_json_object``), never as models.

    Before returning, the SDK decodes every body and turns it into model objects (``Client.deserialize``), which a
    listing read with ``to_json_object`` never uses and then decodes again: for 10,000 IAM users a third of the
    call's time and ~7 MiB. The SDK's own invoker sends the same request (signing, endpoint, handlers, error
    mapping); only the type it answers with is a stream response (which the SDK hands over undecoded) whose
    ``to_json_object`` decodes the body once.
    """
    invoker = getattr(client, f"{method}_invoker")(request)
    invoker._http_info["response_type"] = _json_response(client)
    return invoker.invoke()


_JSON_RESPONSE = "FgrevokeJsonResponse"


def _json_response(client: Any) -> str:
    """The name of the undecoded JSON response type, registered in the client's model package."""
    package = client.model_package
    if not hasattr(package, _JSON_RESPONSE):
        from huaweicloudsdkcore.sdk_stream_response import SdkStreamResponse

        class JsonResponse(SdkStreamResponse):  # type: ignore[misc]
            def to_json_object(self, **kwargs: Any) -> Any:
                content = self._stream.content
                return json.loads(content, **kwargs) if content else None

        setattr(package, _JSON_RESPONSE, JsonResponse)
    return _JSON_RESPONSE


def last_request_id() -> Optional[str]:
    """The X-Request-Id of the last response this thread received (success responses lack it)."""
    return getattr(_last_response, "request_id", None)


def _remember_request_id(response: Any, **_kwargs: Any) -> None:
    # Sync calls send and receive on the calling thread, so a thread-local is the call's own.
    _last_response.request_id = response.headers.get("X-Request-Id") or None


def _http_handler() -> Any:
    from huaweicloudsdkcore.http.http_handler import HttpHandler

    return HttpHandler().add_response_handler(_remember_request_id)


@functools.cache
def _exception_handler() -> Any:
    """The SDK's default error mapping, keeping Retry-After on the exception it raises."""
    from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
    from huaweicloudsdkcore.exceptions.exceptions import ServiceResponseException

    class RetryAfterExceptionHandler(DefaultExceptionHandler):  # type: ignore[misc]
        def handle_exception(self, request: Any, response: Any) -> None:
            try:
                super().handle_exception(request, response)
            except ServiceResponseException as error:
                error.retry_after = _seconds(response.headers.get("Retry-After"))
                raise

    return RetryAfterExceptionHandler()


def _seconds(value: Optional[str]) -> Optional[float]:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None  # an HTTP-date Retry-After: fall back to our own backoff
    # NaN or infinite is no answer; the deadline bounds any wait (shared/retry.py)
    return max(0.0, seconds) if seconds is not None and math.isfinite(seconds) else None
