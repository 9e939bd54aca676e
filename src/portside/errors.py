"""The one exception tree of portside.

Every error a user can see is one of these; each class carries the exit code the
Docker CLI uses for it and the HTTP status the Engine API would answer with.
The CLI maps them to exit codes in exactly one place (``cli/main.py``).

    PortsideError                 exit 1, HTTP 500
    ├── UsageError                exit 125, 400   bad flag or flag value
    │   └── ArgumentCountError    exit 1          wrong number of arguments
    ├── InvalidReference          exit 1, 400     an image name Docker would refuse
    ├── InvalidArgument           exit 1, 400     a value that cannot be used (e.g. --change)
    │   ├── DockerfileError                       "Dockerfile:LINE: what is wrong"
    │   ├── ComposeFileError                      "compose.yaml:LINE: KEY: what is wrong"
    │   └── IncompleteBody                        (API) a request body cut short
    ├── NotFound                  exit 1, 404
    │   ├── ImageNotFound                         "No such image: X"
    │   ├── ContainerNotFound                     "No such container: X"
    │   └── NetworkNotFound                       "network X not found"
    ├── Conflict                  exit 1, 409     image in use, ambiguous prefix
    ├── InvalidArchive            exit 1, 400     corrupt, truncated or hostile input
    │   └── DigestMismatch                        content does not hash to its digest
    ├── ContainerStartError       exit 126/127    the command could not be invoked / found
    ├── RunRefused                exit 125        run/create failed before the container ran
    ├── ContainerError                            (library) run() of a container that failed
    ├── DependencyFailed                          compose: a service it waited for failed
    └── StoreError                exit 125, 500   the store itself cannot be used
        └── NoSpace               exit 1, 507     its disk filled up during a write (nothing kept)
"""

from __future__ import annotations


class PortsideError(Exception):
    """Base of every portside error."""

    exit_code: int = 1
    http_status: int = 500


class UsageError(PortsideError):
    exit_code = 125
    http_status = 400


class ArgumentCountError(UsageError):
    exit_code = 1


class InvalidReference(PortsideError):
    http_status = 400


class InvalidArgument(PortsideError):
    http_status = 400


class DockerfileError(InvalidArgument):
    """A Dockerfile that cannot be built, naming the file and line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line


class ComposeFileError(InvalidArgument):
    """A Compose file that is not valid (or asks for what portside lacks), naming the
    file, the line and the key."""

    def __init__(self, file: str, line: int, key: str, message: str) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")
        self.file = file
        self.line = line
        self.key = key
        self.reason = message


class IncompleteBody(InvalidArgument):
    """(Engine API) A request body that ended before its announced end: the client
    went away, or sent a malformed chunk. What was read is discarded."""


class NotFound(PortsideError):
    http_status = 404


class ImageNotFound(NotFound):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No such image: {ref}")
        self.ref = ref


class ContainerNotFound(NotFound):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No such container: {ref}")
        self.ref = ref


class NetworkNotFound(NotFound):
    """Current Docker's words (20.10 said "No such network"); client libraries match them."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"network {ref} not found")
        self.ref = ref


class ContainerStartError(PortsideError):
    """The container's (or an exec's) command could not be started; 126 when it cannot be
    invoked, 127 when it is not found, as Docker's exit codes."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ContainerError(PortsideError):
    """``containers.run()`` (not detached) of a container that exited non-zero, with
    docker-py's attributes."""

    def __init__(
        self, container: object, exit_status: int, command: object, image: str, stderr: bytes
    ) -> None:
        super().__init__(
            f"Command '{command}' in image '{image}' returned non-zero exit status "
            f"{exit_status}: {stderr.decode(errors='replace')}"
        )
        self.container = container
        self.exit_status = exit_status
        self.command = command
        self.image = image
        self.stderr = stderr


class Conflict(PortsideError):
    http_status = 409


class InvalidArchive(PortsideError):
    http_status = 400


class DigestMismatch(InvalidArchive):
    pass


class RunRefused(PortsideError):
    """``run`` or ``create`` failed before the container's command ran (a bad option
    value, no such image, a conflict): Docker's CLI exits 125 for every such failure,
    whatever the daemon's reason, so the CLI raises this with the reason's words."""

    exit_code = 125

    def __init__(self, reason: PortsideError) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.http_status = reason.http_status


class StoreError(PortsideError):
    exit_code = 125


class NoSpace(StoreError):
    """The store's filesystem filled up while a blob or layer was written; what was
    half-written has been removed, so the store is as it was."""

    exit_code = 1
    http_status = 507


class DependencyFailed(PortsideError):
    """``compose up``: a service others depend on did not become started, healthy or
    completed as their ``depends_on`` asks."""
