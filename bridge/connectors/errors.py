"""The classified errors every connector raises (re-exported by ``http.py``).

Each names the system, the operation and, where there are, the record and the page; the text
is redacted of every registered secret. What went wrong is said by where and how long, never
by quoting the body (issue 18: errors end up in run records, artifacts and state messages).
"""

from __future__ import annotations

from bridge.connectors.redaction import redact


class ConnectorError(Exception):
    """A call to an external system failed. The text says which system, operation and record."""

    def __init__(
        self,
        system: str,
        operation: str,
        problem: str,
        *,
        record: str | None = None,
        retry_after: float | None = None,
        page: str | None = None,
    ) -> None:
        self.system = system
        self.operation = operation
        self.record = record
        self.retry_after = retry_after
        self.page = page
        self.problem = problem
        where = f"{system} {operation}"
        if page:
            where += f" ({page})"
        if record:
            where += f" (record {record})"
        super().__init__(redact(f"{where}: {problem}"))

    def on_page(self, page: str) -> ConnectorError:
        """The same error, saying which page of a listing it happened on."""
        if self.page:
            return self
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        ConnectorError.__init__(
            copy, self.system, self.operation, self.problem,
            record=self.record, retry_after=self.retry_after, page=page,
        )  # fmt: skip
        return copy


class RetryableError(ConnectorError):
    """Transient: timeouts, connection drops, 429, 5xx. Trying again later may work."""


class FatalError(ConnectorError):
    """Trying again will not help until someone changes something."""


class AuthError(FatalError):
    """Credentials refused or expired; check the username, password or client secret."""


class BadRequestError(FatalError):
    """The system refused the request as invalid (4xx other than auth and 429)."""


class ContractError(FatalError):
    """The system answered, but not as its contract says (unparseable body, missing field)."""
