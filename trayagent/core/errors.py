"""User-facing failures: each carries a one-line message naming the problem and the thing at fault."""


class TrayagentError(Exception):
    """An expected failure (bad input, missing file, broken config). The CLI prints it and exits 1."""

    exit_code = 1


class ConfigError(TrayagentError):
    """A settings file that cannot be used: which file, which key, what is allowed."""
