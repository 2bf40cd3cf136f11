"""Server-side check of SDK-HMAC-SHA256 signatures (algorithm: docs/reference/sdk.md §2.3).

Developer tooling only: the product signs with the SDK and never by hand.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timezone
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
_AUTHORIZATION = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$")


class SignatureError(Exception):
    pass


def canonical_uri(raw_path: str) -> str:
    uri = "/".join(quote(segment, safe="~") for segment in unquote(raw_path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(raw_query: str) -> str:
    pairs: List[Tuple[str, str]] = []
    for part in raw_query.split("&") if raw_query else []:
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(pairs))


def canonical_request(method: str, raw_target: str, headers: Dict[str, str], signed: List[str],
                      body: bytes) -> str:
    path, _, query = raw_target.partition("?")
    header_lines = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    return "\n".join([method.upper(), canonical_uri(path), canonical_query(query), header_lines,
                      ";".join(signed), hashlib.sha256(body or b"").hexdigest()])


def signature(secret_key: str, sdk_date: str, canonical: str) -> str:
    string_to_sign = "\n".join([ALGORITHM, sdk_date, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    return hmac.new(secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(method: str, raw_target: str, headers: Dict[str, str], body: bytes,
           secret_for: "Dict[str, str]", max_skew: Optional[float] = 900.0) -> str:
    """Return the access key that signed the request, or raise SignatureError."""
    lowered = {name.lower(): value for name, value in headers.items()}
    match = _AUTHORIZATION.match(lowered.get("authorization", "").strip())
    if not match:
        raise SignatureError("Authorization not found or malformed")
    access_key, signed_list, given = match.groups()
    secret_key = secret_for.get(access_key)
    if secret_key is None:
        raise SignatureError("the access key is unknown")
    signed = signed_list.split(";")
    if signed != sorted(signed) or "host" not in signed or "x-sdk-date" not in signed:
        raise SignatureError("SignedHeaders must be sorted and include host and x-sdk-date")
    sdk_date = lowered.get("x-sdk-date", "")
    try:
        signed_at = datetime.strptime(sdk_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise SignatureError("X-Sdk-Date is missing or malformed") from None
    if max_skew is not None and abs((datetime.now(timezone.utc) - signed_at).total_seconds()) > max_skew:
        raise SignatureError("X-Sdk-Date is too far from the server's time")
    expected = signature(secret_key, sdk_date, canonical_request(method, raw_target, lowered, signed, body))
    if not hmac.compare_digest(expected, given):
        raise SignatureError("verify aksk signature fail")
    return access_key
