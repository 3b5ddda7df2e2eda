"""The library's errors. Each carries a hint the user can act on; only the CLI and UI print them."""


class RedlinesError(Exception):
    """Base error: a message plus a hint saying what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (hint: {self.hint})" if self.hint else text


class ConfigError(RedlinesError):
    """A setting has a value that cannot work."""


class CorpusError(RedlinesError):
    """A corpus file is missing, malformed or breaks the corpus format."""


class RulesError(RedlinesError):
    """The rule file is malformed."""


class IndexMissingError(RedlinesError):
    """There is no index to search."""


class IndexStaleError(RedlinesError):
    """The index was built from a different corpus, model or chunker."""


class InputError(RedlinesError):
    """The user's input cannot be processed as given."""


class GuardError(RedlinesError):
    """An answer broke a guard and could not be repaired."""
