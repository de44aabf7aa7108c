"""Annotators and their tokens: only a token's SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from activelearn.errors import ConfigError
from activelearn.store.database import StoreBase
from activelearn.store.errors import NotFound
from activelearn.store.models import Annotator
from activelearn.store.records import AnnotatorInfo

IMPORT_ANNOTATOR = "import"  # labels that came with the dataset


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain sha256 is enough to make a stolen DB useless."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokensMixin(StoreBase):
    def add_annotator(self, project_id: int, name: str, *, admin: bool = False) -> str:
        """Register an annotator and return their token; only its hash is stored, so keep it."""
        if name == IMPORT_ANNOTATOR:
            raise ConfigError(f"{IMPORT_ANNOTATOR!r} is reserved for labels imported with the data")
        token = secrets.token_urlsafe(32)
        try:
            with self.write() as session:
                session.add(
                    Annotator(
                        project_id=project_id,
                        name=name,
                        token_hash=hash_token(token),
                        is_admin=admin,
                        created_at=time.time(),
                    )
                )
        except IntegrityError:
            raise ConfigError(f"annotator {name!r} exists already in this project") from None
        return token

    def rotate_token(self, project_id: int, name: str) -> str:
        """A fresh token for an existing annotator; the old one stops working."""
        token = secrets.token_urlsafe(32)
        with self.write() as session:
            annotator = session.scalar(
                select(Annotator).where(Annotator.project_id == project_id, Annotator.name == name)
            )
            if annotator is None or name == IMPORT_ANNOTATOR:
                raise NotFound(f"no annotator named {name!r}")
            annotator.token_hash = hash_token(token)
        return token

    def authenticate(self, token: str) -> AnnotatorInfo | None:
        """The annotator holding ``token``, or None."""
        if not token:
            return None
        with self.read() as session:
            annotator = session.scalar(
                select(Annotator).where(Annotator.token_hash == hash_token(token))
            )
            if annotator is None or annotator.name == IMPORT_ANNOTATOR:
                return None
            return AnnotatorInfo(
                annotator.id, annotator.project_id, annotator.name, annotator.is_admin
            )
