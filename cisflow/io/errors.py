"""The error types users see: ``InputError`` names the file, the line (when there is one) and the problem;
its ``ConfigError`` names the config key instead of a file."""

from cisflow.types import PathLike


class InputError(ValueError):
    """Malformed user input. ``str(err)`` reads ``file:line: problem``."""

    def __init__(self, path: PathLike, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {problem}")


class ConfigError(InputError):
    """A config value that cannot be used, found only when a job reads it. ``str(err)`` reads
    ``key: problem``, the key dotted as in its section of the config (``split.test``,
    ``interpret.modisco_target``); the job's log names the dataset or experiment."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(key, problem)
