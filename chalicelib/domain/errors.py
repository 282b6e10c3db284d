"""Domain errors. Each carries the contract's error code; the HTTP edge maps codes to statuses in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A business refusal the caller can understand and act on."""

    code = "CONFLICT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"


class Unauthorized(DomainError):
    code = "UNAUTHORIZED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class InsufficientFunds(DomainError):
    code = "INSUFFICIENT_FUNDS"


class LimitExceeded(DomainError):
    code = "LIMIT_EXCEEDED"


class OutOfStock(DomainError):
    code = "OUT_OF_STOCK"


class InvalidState(DomainError):
    code = "INVALID_STATE"


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"


class MethodNotAllowed(DomainError):
    """A path the API has, called with a method it does not take (the HTTP edge names the ones it takes)."""

    code = "METHOD_NOT_ALLOWED"


class RateLimited(DomainError):
    """Too many requests of one kind from one caller in a while (e.g. unknown gift codes): try again later."""

    code = "RATE_LIMITED"


class Contention(DomainError):
    """Raised by storage when a conditional write lost a race; the service retries it, never the caller."""

    code = "CONFLICT"


class IdempotencyRace(Contention):
    """Another request with the same Idempotency-Key committed first: read again and replay it."""


class StorageUnavailable(DomainError):
    """The store refused or failed in a way no retry inside this request can fix."""

    code = "SERVICE_UNAVAILABLE"


class BankUnavailable(DomainError):
    """The bank did not answer: nothing is known to have moved, and asking again with the same transfer id is
    safe (the bank moves a transfer id once)."""

    code = "SERVICE_UNAVAILABLE"


class BankDeclined(Conflict):
    """The bank refused a transfer (a top-up from the resident's account, or a payout into it): nothing moved."""
