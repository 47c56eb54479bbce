"""What these scripts refuse, and how it reaches the log."""


class UsageError(Exception):
    """The pipeline is set up wrong (a missing token or variable, a bad input): nothing was
    run or posted."""


class Refused(Exception):
    """The run cannot go on safely (no reviewed plan, a plan for another commit): nothing was
    changed."""
