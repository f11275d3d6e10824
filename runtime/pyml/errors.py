"""One exception hierarchy for the runtime; each class carries its status.

The status names are gRPC's canonical codes, but this module imports nothing of
gRPC: the transport adapter (grpc_server.py) maps `Status` to its codes once.
"""

import enum
from typing import Any, Dict, Optional


class Status(enum.Enum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class PymlError(Exception):
    """Base of every error the runtime reports to a caller."""

    status = Status.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> Optional[Dict[str, Any]]:
        """Structured details for the `pyml-error-bin` trailer, or None."""
        return None


class InvalidRequest(PymlError):
    """The request does not fit the protocol or the model's manifest."""

    status = Status.INVALID_ARGUMENT


class InvalidInput(InvalidRequest):
    """One named input (column or tensor) is wrong: says what was expected and what came."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__("input '%s': %s" % (name, problem))
        self.input_name = name


class ModelNotFound(PymlError):
    status = Status.NOT_FOUND


class ModelUnavailable(PymlError):
    """The server is up but has no model ready (loading or unloaded)."""

    status = Status.UNAVAILABLE


class ManifestError(PymlError):
    """pyml.yaml is missing or invalid; the message names the key and how to fix it."""

    status = Status.FAILED_PRECONDITION

    def __init__(self, message: str, key: Optional[str] = None, path: Optional[str] = None) -> None:
        where = "%s: " % path if path else ""
        at = "%s: " % key if key else ""
        super().__init__("%s%s%s" % (where, at, message))
        self.key = key
        self.path = path
        self.phase = "load"

    def details(self) -> Optional[Dict[str, Any]]:
        return {
            "type": "ManifestError",
            "message": self.message,
            "phase": self.phase,
            "key": self.key,
            "frames": [],
            "traceback": "",
        }


class ModelCodeError(PymlError):
    """The user's code raised (import, __init__, predict), or returned something
    that breaks the contract. `report` is the structured traceback
    (see tracebacks.py and runtime/README.md)."""

    status = Status.INTERNAL

    def __init__(self, summary: str, report: Dict[str, Any]) -> None:
        super().__init__(summary)
        self.report = report

    def details(self) -> Optional[Dict[str, Any]]:
        return self.report
