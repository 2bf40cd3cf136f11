"""Which keys sign the calls: the function's agency first, then the SDK's own variables."""

from __future__ import annotations

import hashlib
from typing import Any, Final, Optional

from shared import redaction
from shared.errors import ConfigurationError
from shared.settings import SettingsSource


# Not a dataclass: cheaper to create on a cold start (docs/performance.md); Final: read-only, checked by mypy.
class Credentials:
    __slots__ = ("access_key", "secret_key", "security_token", "source", "account_id")
    access_key: Final[str]
    secret_key: Final[str]
    security_token: Final[Optional[str]]
    source: Final[str]  # "agency" or "environment", or the member account's agency
    account_id: Final[Optional[str]]  # a member account's session (None: the function's own account)

    def __init__(self, access_key: str, secret_key: str, security_token: Optional[str], source: str,
                 account_id: Optional[str] = None) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.security_token = security_token
        self.source = source
        self.account_id = account_id

    def fingerprint(self) -> str:
        """Tells rotated keys apart without keeping them in a cache key."""
        material = "\0".join((self.access_key, self.secret_key, self.security_token or ""))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r}, access_key='***')"


def resolve(context: Any, source: SettingsSource) -> Credentials:
    """Never returns empty keys: with them the SDK would ask the ECS metadata service (docs/reference/sdk.md §2.1)."""
    agency = tuple(_context_value(context, name) for name in
                   ("getSecurityAccessKey", "getSecuritySecretKey", "getSecurityToken"))
    if agency[0] and agency[1]:
        return _registered(Credentials(agency[0], agency[1], agency[2], "agency"))
    access_key = source.get("HUAWEICLOUD_SDK_AK")
    secret_key = source.get("HUAWEICLOUD_SDK_SK")
    token = source.get("HUAWEICLOUD_SDK_SECURITY_TOKEN")
    if access_key and secret_key:
        return _registered(Credentials(access_key, secret_key, token, "environment"))
    if access_key or secret_key:
        missing = "HUAWEICLOUD_SDK_SK" if access_key else "HUAWEICLOUD_SDK_AK"
        raise ConfigurationError(f"setting {missing} is missing: both HUAWEICLOUD_SDK_AK and "
                                 "HUAWEICLOUD_SDK_SK must be set", field=missing)
    raise ConfigurationError(
        "no credentials: give the function an agency (the context's security keys are empty) "
        "or set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK", field="HUAWEICLOUD_SDK_AK")


def mask_early(context: Any, source: SettingsSource) -> None:
    """Register every key the invocation could carry before anything is parsed or logged: a request refused
    before the first client, or a log line, must not echo one either. Never fails."""
    values = []
    for name in ("getSecurityAccessKey", "getSecuritySecretKey", "getSecurityToken"):
        try:
            values.append(_context_value(context, name))
        except ConfigurationError:
            continue
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"):
        try:
            values.append(source.get(name))
        except ConfigurationError:
            continue
    redaction.register(*values)


def _context_value(context: Any, name: str) -> Optional[str]:
    getter = getattr(context, name, None)
    if not callable(getter):
        return None
    try:
        value = getter()
    except Exception:
        raise ConfigurationError(f"the function's context could not give its agency keys ({name} failed)",
                                 field="agency") from None
    return str(value).strip() or None if value else None


def _registered(credentials: Credentials) -> Credentials:
    """Masked from every output first; then refused if unusable (the message never echoes a key)."""
    redaction.register(credentials.access_key, credentials.secret_key, credentials.security_token)
    for what, value in (("access key", credentials.access_key), ("secret key", credentials.secret_key),
                        ("security token", credentials.security_token or "")):
        if not value.isprintable() or any(ch.isspace() for ch in value):
            raise ConfigurationError(
                f"the {credentials.source} {what} contains control characters or spaces: set it again "
                "exactly as issued (the value is not shown)",
                field="agency" if credentials.source == "agency" else "HUAWEICLOUD_SDK_AK")
    return credentials
