"""Errors of the label store; the server turns each into one HTTP status with its message."""

from activelearn.errors import ActiveLearnError


class StoreError(ActiveLearnError):
    """Base of the store's errors. ``status`` is the HTTP status the server answers with."""

    status = 400


class NotFound(StoreError):
    """An item, project or annotator the store does not hold."""

    status = 404


class Conflict(StoreError):
    """The request is valid but clashes with the store's state (someone else's lease, a label)."""

    status = 409


class InvalidInput(StoreError):
    """A value the store cannot accept (a label outside the classes, an unsafe path)."""

    status = 422


class Forbidden(StoreError):
    """The annotator may not do this (an admin-only action)."""

    status = 403


class NotSaved(StoreError):
    """The database could not commit: nothing of the request was stored. Sending it again
    (with the same submission id) is safe."""

    status = 503
