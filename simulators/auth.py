"""Session tokens (iOffice login) and LGSP client-credentials tokens, expiring in simulated time."""

from __future__ import annotations

import secrets
import threading

from simulators.clock import SimClock


class TokenStore:
    def __init__(self, clock: SimClock, ttl_seconds: int) -> None:
        self.clock = clock
        self.ttl = ttl_seconds
        self._lock = threading.Lock()
        self._expiry: dict[str, int] = {}

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._expiry[token] = self.clock.now() + self.ttl
        return token

    def problem(self, token: str | None) -> str | None:
        """None when the token is good, else the error code to answer with."""
        if not token:
            return "AUTH_REQUIRED"
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return "AUTH_INVALID"
        if self.clock.now() >= expiry:
            return "AUTH_EXPIRED"
        return None

    def expire_all(self) -> None:
        """Every token issued so far stops working (the token-expiry fault)."""
        with self._lock:
            now = self.clock.now()
            self._expiry = dict.fromkeys(self._expiry, now)
