"""A FunctionGraph-like ``context`` for running handlers locally and in tests."""

from __future__ import annotations

import time
import uuid
from typing import Dict, Optional


class LocalContext:
    def __init__(self, user_data: Optional[Dict[str, str]] = None, *, function_name: str = "local",
                 timeout_seconds: float = 30.0, request_id: Optional[str] = None,
                 security_access_key: str = "", security_secret_key: str = "",
                 security_token: str = "") -> None:
        self.user_data = dict(user_data or {})
        self.function_name = function_name
        self.timeout_seconds = timeout_seconds
        self.request_id = request_id or str(uuid.uuid4())
        self.security_access_key = security_access_key
        self.security_secret_key = security_secret_key
        self.security_token = security_token
        self._started = time.monotonic()

    def getRequestID(self) -> str:
        return self.request_id

    def getRemainingTimeInMilliSeconds(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))

    def getUserData(self, key: str, default: str = "") -> str:
        return self.user_data.get(key, default)

    def getFunctionName(self) -> str:
        return self.function_name

    def getRunningTimeInSeconds(self) -> int:
        return int(self.timeout_seconds)

    def getSecurityAccessKey(self) -> str:
        return self.security_access_key

    def getSecuritySecretKey(self) -> str:
        return self.security_secret_key

    def getSecurityToken(self) -> str:
        return self.security_token
