"""Every error triage raises on purpose. The CLI and the API map these to exit codes and HTTP statuses."""

from __future__ import annotations


class TriageError(Exception):
    """Base of all deliberate triage errors; the message is meant for a person."""

    exit_code = 1
    http_status = 500


class InvalidSubmission(TriageError):
    """The submitted file is bad (empty, corrupt, too big, hostile). Stored on the submission as `rejected`."""

    exit_code = 3
    http_status = 422


class UnsupportedMedia(InvalidSubmission):
    """The file is readable but not a kind of media triage accepts."""

    http_status = 415


class TooLarge(InvalidSubmission):
    """The file exceeds a configured size, duration, pixel or length limit."""

    http_status = 413


class UnsafePath(TriageError):
    """A path points outside the folder it must stay in."""

    exit_code = 3
    http_status = 400


class NotFound(TriageError):
    """A call-out, submission or other named thing does not exist."""

    exit_code = 4
    http_status = 404


class Conflict(TriageError):
    """The request contradicts the stored state."""

    exit_code = 5
    http_status = 409


class ModelUnavailable(TriageError):
    """A model's weights or package are missing; the message says exactly how to install them."""

    exit_code = 6
    http_status = 503


class OcrUnavailable(ModelUnavailable):
    """Tesseract's binding or its English data is missing: text in pictures cannot be read (ingest goes on
    without it)."""


class CudaUnusable(ModelUnavailable):
    """A model library cannot run on the GPU that torch sees (a missing CUDA runtime, say)."""


class ConfigError(TriageError):
    """A setting is invalid or names something unknown."""

    exit_code = 2
    http_status = 500


class ProcessingFailed(TriageError):
    """Our side failed while processing a good file; stored on the submission as `failed`."""

    exit_code = 1
    http_status = 500


class BadRequest(TriageError):
    """A request that names things correctly but asks for something impossible (e.g. a pair of one item)."""

    exit_code = 2
    http_status = 422


class Unauthorized(TriageError):
    """No valid token or session."""

    exit_code = 7
    http_status = 401


class Forbidden(TriageError):
    """A valid caller whose role may not do this."""

    exit_code = 7
    http_status = 403


class RateLimited(TriageError):
    """A valid caller who has used up an allowance for now (uploads waiting, bytes a day). `retry_after` is how
    many seconds until it frees up, where that is known (the API sends it as Retry-After)."""

    exit_code = 7
    http_status = 429

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutOfSpace(TriageError):
    """The server's disk is full (or the user's quota spent): our trouble, not the client's; try again later."""

    exit_code = 1
    http_status = 507  # Insufficient Storage: the request was fine, the server could not store it


class Degraded(TriageError):
    """The database cannot be written now (read-only, or its disk full): reads go on, a write is refused with the
    reason, and works again once the operators fix it; nothing about the request was wrong."""

    exit_code = 1
    http_status = 503

    def __init__(self, message: str, retry_after: float | None = 30.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChecksumMismatch(ProcessingFailed):
    """A stored derived file (an index) no longer matches the checksum saved with it: rebuild it from the database."""
