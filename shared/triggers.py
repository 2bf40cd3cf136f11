"""Recognise which trigger sent an event and take the revocation request(s) out of it.

Shapes: docs/reference/functiongraph.md §2 and tests/events/. Every handler shares this parser.
An envelope of several requests (EventGrid, SMN) carries each one it cannot read as that request's
error, so the others still run.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any, Dict, Final, List, Optional, Tuple, Union

from shared.errors import InvalidRequest, MethodNotAllowed, PayloadTooLarge, RevokeError

DIRECT, TIMER, APIG, CTS, EVENTGRID, SMN = "direct", "timer", "apig", "cts", "eventgrid", "smn"
ASYNCHRONOUS = frozenset({TIMER, CTS, EVENTGRID, SMN})
OFFBOARDING = frozenset({CTS, EVENTGRID, SMN})  # a person left: every service checks afterwards that access is gone
APIG_BODY_LIMIT = 4 * 1024 * 1024  # dedicated APIG request body limit
IAM_USER_DELETIONS = frozenset({"deleteUser", "deleteUserV5"})


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class Offboarding:
    """An IAM user was deleted (CTS trace): every grant of that person must go."""

    __slots__ = ("user_id", "user_name")
    user_id: Final[Any]  # as the trace gives it: the function's own id parser decides
    user_name: Final[Any]

    def __init__(self, user_id: Any, user_name: Any) -> None:
        self.user_id = user_id
        self.user_name = user_name

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Offboarding):
            return NotImplemented
        return (self.user_id, self.user_name) == (other.user_id, other.user_name)

    def __repr__(self) -> str:
        return f"Offboarding(user_id={self.user_id!r}, user_name={self.user_name!r})"


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class Trigger:
    __slots__ = ("kind", "correlation_id", "payloads", "offboarding", "ignored", "facts")
    kind: Final[str]
    correlation_id: Final[Optional[str]]
    payloads: Final[Tuple[Union[Dict[str, Any], RevokeError], ...]]
    offboarding: Final[Optional[Offboarding]]
    ignored: Final[Optional[str]]  # why the event asks for nothing
    facts: Final[Dict[str, Any]]  # logged with the invocation

    def __init__(self, kind: str, correlation_id: Optional[str],
                 payloads: Tuple[Union[Dict[str, Any], RevokeError], ...] = (),
                 offboarding: Optional[Offboarding] = None, ignored: Optional[str] = None,
                 facts: Optional[Dict[str, Any]] = None) -> None:
        self.kind = kind
        self.correlation_id = correlation_id
        self.payloads = payloads
        self.offboarding = offboarding
        self.ignored = ignored
        self.facts = {} if facts is None else facts

    @property
    def asynchronous(self) -> bool:
        return self.kind in ASYNCHRONOUS


def kind_of(event: Any) -> str:
    """Name the trigger from the event's shape alone; never fails."""
    if not isinstance(event, dict):
        return DIRECT
    if isinstance(event.get("cts"), dict):
        return CTS
    if "httpMethod" in event and ("requestContext" in event or "headers" in event):
        return APIG
    if event.get("trigger_type") == "TIMER" or ("user_event" in event and "trigger_name" in event):
        return TIMER
    if isinstance(event.get("record"), list) and any(
            isinstance(record, dict) and "smn" in record for record in event["record"]):
        return SMN
    if isinstance(event.get("events"), list) or ("specversion" in event and "data" in event):
        return EVENTGRID
    return DIRECT


def parse(event: Any) -> Trigger:
    if not isinstance(event, dict):
        raise InvalidRequest(f"the event must be a JSON object, not {type(event).__name__}")
    return _PARSERS[kind_of(event)](event)


def _direct(event: Dict[str, Any]) -> Trigger:
    return Trigger(DIRECT, None, (event,))


def _timer(event: Dict[str, Any]) -> Trigger:
    name = _text(event.get("trigger_name")) or "timer"
    correlation = f"{name}@{_text(event.get('time')) or ''}"
    raw = event.get("user_event")
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRequest("the TIMER trigger carries no request: put the request JSON in its "
                             "additional information (user_event)", field="user_event")
    payload = _json_object(raw, "the TIMER trigger's user_event", "user_event")
    return Trigger(TIMER, correlation, (payload,), facts={"trigger_name": name})


def _apig(event: Dict[str, Any]) -> Trigger:
    context = _mapping(event.get("requestContext"))
    correlation = _text(context.get("requestId")) or _text(_mapping(event.get("headers")).get("x-request-id"))
    method = (_text(event.get("httpMethod")) or "").upper()
    if method not in ("DELETE", "POST"):
        raise MethodNotAllowed(f"HTTP method {method or '(none)'} is not allowed: use DELETE or POST",
                               field="httpMethod")
    payload = _apig_body(event)
    query = event.get("queryStringParameters") or {}
    if not isinstance(query, dict):
        raise InvalidRequest("queryStringParameters must be an object", field="queryStringParameters")
    for key, text in query.items():
        if isinstance(text, list) and len(text) == 1:
            text = text[0]
        if not isinstance(text, str):
            raise InvalidRequest(f"query parameter {key!r} must be given once, as text", field=str(key))
        value = _query_value(key, text)
        if key in payload and payload[key] != value:
            raise InvalidRequest(f"{key!r} is given both in the query and in the body", field=str(key))
        payload[key] = value
    return Trigger(APIG, correlation, (payload,), facts={"http_method": method})


def _query_value(key: str, text: str) -> Any:
    """A query parameter is text; ``dry_run`` there means the request's boolean (``?dry_run=true``)."""
    if key != "dry_run":
        return text
    flag = text.strip().lower()
    if flag not in ("true", "false"):
        raise InvalidRequest("query parameter dry_run must be true or false", field="dry_run")
    return flag == "true"


def _apig_body(event: Dict[str, Any]) -> Dict[str, Any]:
    body = event.get("body")
    if body in (None, ""):
        return {}
    if not isinstance(body, str):
        raise InvalidRequest("the APIG body must be a string", field="body")
    if len(body) > APIG_BODY_LIMIT * 4 // 3 + 4:
        raise PayloadTooLarge("the request body is larger than the 4 MB APIG limit", field="body")
    if event.get("isBase64Encoded") is True:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise InvalidRequest("the body is marked isBase64Encoded but is not Base64 of UTF-8 text",
                                 field="body") from None
    if len(body) > APIG_BODY_LIMIT:
        raise PayloadTooLarge("the request body is larger than the 4 MB APIG limit", field="body")
    if not body.strip():
        return {}
    return _json_object(body, "the request body", "body")


def _cts(event: Dict[str, Any]) -> Trigger:
    trace = event["cts"]
    correlation = _text(trace.get("trace_id"))
    facts = {key: _shown(trace.get(key)) for key in ("service_type", "resource_type", "trace_name")}
    if (trace.get("service_type"), trace.get("resource_type")) != ("IAM", "user") or \
            _shown(trace.get("trace_name")) not in IAM_USER_DELETIONS:
        return Trigger(CTS, correlation, ignored="the CTS trace is not an IAM user deletion "
                       f"(service_type={facts['service_type']!r}, resource_type="
                       f"{facts['resource_type']!r}, trace_name={facts['trace_name']!r})",
                       facts=facts)
    code = trace.get("code")
    if _status_code(code) >= 400:
        return Trigger(CTS, correlation, ignored=f"the IAM user deletion failed (code {_shown(code)}): "
                       "the user still exists", facts=facts)
    user_id = trace.get("resource_id")
    if user_id in (None, ""):
        raise InvalidRequest("the IAM deleteUser trace has no resource_id (the deleted user's id)",
                             field="cts.resource_id")
    return Trigger(CTS, correlation, offboarding=Offboarding(user_id, trace.get("resource_name")), facts=facts)


def _eventgrid(event: Dict[str, Any]) -> Trigger:
    events: List[Any] = event["events"] if isinstance(event.get("events"), list) else [event]
    if not events:
        raise InvalidRequest("the EventGrid envelope holds no events", field="events")
    payloads = [_each(_cloud_event_data, index, cloud_event) for index, cloud_event in enumerate(events)]
    ids = [_text(e.get("id")) for e in events if isinstance(e, dict) and _text(e.get("id"))]
    types = {str(_shown(e.get("type"))) for e in events if isinstance(e, dict)}
    return Trigger(EVENTGRID, ",".join(str(i) for i in ids) or None, tuple(payloads),
                   facts={"event_types": sorted(types)[:20]})


def _cloud_event_data(index: int, cloud_event: Any) -> Dict[str, Any]:
    if not isinstance(cloud_event, dict):
        raise InvalidRequest(f"events[{index}] is not a CloudEvent object", field=f"events[{index}]")
    data = cloud_event.get("data")
    if isinstance(data, str):  # JSON text of the request object, or of a list of people
        data = _json_value(data, f"events[{index}].data", f"events[{index}].data")
    if isinstance(data, list):  # several people in one event: one request, {"users": [...]}
        data = {"users": data}
    if not isinstance(data, dict):
        raise InvalidRequest(f"events[{index}].data must be a JSON object (or a list of people)",
                             field=f"events[{index}].data")
    return data


def _each(read: Any, index: int, entry: Any) -> Union[Dict[str, Any], RevokeError]:
    """One request of an envelope, or the error that refuses it alone."""
    try:
        return read(index, entry)  # type: ignore[no-any-return]
    except RevokeError as error:
        return error


def _smn(event: Dict[str, Any]) -> Trigger:
    payloads = [_each(_smn_message, index, record) for index, record in enumerate(event["record"])]
    ids = [_text(record["smn"].get("message_id")) for record in event["record"]
           if isinstance(record, dict) and isinstance(record.get("smn"), dict)]
    return Trigger(SMN, ",".join(i for i in ids if i) or None, tuple(payloads))


def _smn_message(index: int, record: Any) -> Dict[str, Any]:
    smn = record.get("smn") if isinstance(record, dict) else None
    if not isinstance(smn, dict) or not isinstance(smn.get("message"), str):
        raise InvalidRequest(f"record[{index}].smn.message is missing", field=f"record[{index}]")
    return _json_object(smn["message"], f"the SMN message of record[{index}]", f"record[{index}].smn.message")


def _json_value(text: str, what: str, field_name: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidRequest(f"{what} is not JSON: it must hold the function's request as a JSON object",
                             field=field_name) from None


def _json_object(text: str, what: str, field_name: str) -> Dict[str, Any]:
    value = _json_value(text, what, field_name)
    if not isinstance(value, dict):
        raise InvalidRequest(f"{what} must be a JSON object", field=field_name)
    return value


def _mapping(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> Optional[str]:
    return value.strip()[:200] or None if isinstance(value, str) else None


def _status_code(value: Any) -> int:
    """The trace's HTTP status in any numeric JSON form (403, "403", 403.0, "403.0"); 0 when it is none."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and 0 < len(text) <= 12):
            return 0
        try:
            value = float(text)
        except ValueError:
            return 0
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else 0
    return value if isinstance(value, int) else 0


def _shown(value: Any) -> Optional[str]:
    """A trace field for a log line or a message: text only, cut short (an event may nest anything)."""
    if value is None or isinstance(value, (dict, list)):
        return None if value is None else f"<{type(value).__name__}>"
    return str(value)[:80]


_PARSERS = {DIRECT: _direct, TIMER: _timer, APIG: _apig, CTS: _cts, EVENTGRID: _eventgrid, SMN: _smn}
