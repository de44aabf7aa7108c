"""Project exceptions.

Every error a user can act on is an :class:`ActiveLearnError` whose message
says what was wrong and what to do about it. Catch this one class to handle
all of them.
"""


class ActiveLearnError(Exception):
    """Base class for errors a user can act on."""


class DataError(ActiveLearnError, ValueError):
    """Input data is malformed: unknown column, empty rows, unknown labels, bad archive."""


class ConfigError(ActiveLearnError, ValueError):
    """A configuration value (CLI flag, TOML key, constructor argument) is invalid."""


class ModelOutputError(ActiveLearnError, ValueError):
    """A model returned probabilities that are not a valid N x C distribution."""


class ResumeError(ActiveLearnError):
    """A run directory cannot be resumed with the given configuration."""


class LabelsPending(ActiveLearnError):
    """The oracle has not answered yet (for example a file waiting for people).

    The loop stops cleanly; running it again with ``resume`` picks up the answers.
    """
