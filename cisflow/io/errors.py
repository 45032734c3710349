"""The one error type users see: it names the file, the line (when there is one) and the problem."""


class InputError(ValueError):
    """Malformed user input. ``str(err)`` reads ``file:line: problem``."""

    def __init__(self, path, problem, line=None):
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {problem}")
