"""The classified errors every connector raises (re-exported by ``http.py``).

Each names the system, the operation and, where there are, the record and the page; the text
is redacted of every registered secret. What went wrong is said by where and how long, never
by quoting the body (issue 18: errors end up in run records, artifacts and state messages).
"""

from __future__ import annotations

from connectors.redaction import redact, register_secret

TLS_FAILED = (
    "TLS verification failed; if the system uses the agency's own CA, set http.ca_bundle "
    "(BRIDGE_HTTP__CA_BUNDLE) to its PEM file"
)


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

    def on_page(self, page: str, operation: str) -> ConnectorError:
        """The same error, saying which page of the listing ``operation`` it happened on (an
        error of another operation met on the way, a login, is returned as it is)."""
        if self.page or self.operation != operation:
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


# --- token answers -----------------------------------------------------------------------

_JSON_KINDS = {bool: "true/false", int: "a number", float: "a number", str: "text",
               list: "a list", dict: "an object", type(None): "null"}  # fmt: skip


def _kind(value: object) -> str:
    return _JSON_KINDS.get(type(value), type(value).__name__)


def token_from_answer(
    data: object,
    field: str,
    *,
    system: str,
    operation: str,
    optional_numbers: tuple[str, ...] = (),
) -> str:
    """The token text of a login or token answer, or a ``ContractError`` naming the field and
    what was wrong (its kind, never its value: it may be a token after all).

    ``optional_numbers`` are fields that, when present, must be numbers (``expires_in``).
    """
    if not isinstance(data, dict):
        raise ContractError(system, operation, f"the answer is {_kind(data)}, not an object")
    if field not in data:
        raise ContractError(system, operation, f"the answer has no '{field}'")
    token = data[field]
    if not isinstance(token, str) or not token.strip():
        what = "empty text" if isinstance(token, str) else _kind(token)
        raise ContractError(system, operation, f"'{field}' is {what}, expected non-empty text")
    for name in optional_numbers:
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ContractError(system, operation, f"'{name}' is {_kind(value)}, expected a number")
    register_secret(token, temporary=True)
    return token
