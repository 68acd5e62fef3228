"""The error a month's run fails with when a delivery breaks the contract (§6)."""


class StructuralError(Exception):
    """A structural error: the month fails, nothing is published for it.

    The message always names the file, the line where relevant, and the problem.
    """

    def __init__(self, file: str, problem: str, line: int | None = None):
        self.file = file
        self.line = line
        self.problem = problem
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}")
