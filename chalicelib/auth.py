"""Bearer tokens: RS256 JWTs verified with PyJWT against a JWKS (a file locally, Cognito's URL in AWS).

`exp` is always checked against real time (never the movable local clock), with at most 60 s leeway.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from chalicelib.domain.errors import Forbidden, Unauthorized

RESIDENTS = "residents"
MERCHANTS = "merchants"
STAFF = "staff"
ROLES = (RESIDENTS, MERCHANTS, STAFF)
LEEWAY_SECONDS = 60
_SUBJECT = re.compile(r"^[A-Za-z0-9._:@+-]{1,128}$")
"""Matched with `fullmatch`: `$` alone also matches before a final line feed."""


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the verified token says."""

    sub: str
    groups: frozenset[str]
    merchant_id: str | None = None

    def require(self, role: str) -> None:
        """Wrong role → 403; a merchant token must also name its merchant."""
        if role not in self.groups:
            raise Forbidden(f"this needs the {role} role")
        if role == MERCHANTS and not self.merchant_id:
            raise Forbidden("the token names no merchant (custom:merchant_id)")


class TokenVerifier:
    def __init__(
        self,
        *,
        jwks_file: str | None,
        jwks_url: str | None,
        issuer: str | None,
        audience: str | None,
    ) -> None:
        if not jwks_file and not jwks_url:
            raise ValueError("set AUTH_JWKS_FILE or AUTH_JWKS_URL")
        self._file = Path(jwks_file) if jwks_file else None
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600) if jwks_url else None
        self._issuer = issuer
        self._audience = audience
        self._lock = threading.Lock()
        self._file_keys: tuple[int, jwt.PyJWKSet] | None = None

    def _key_from_file(self, token: str) -> Any:
        assert self._file is not None
        with self._lock:
            mtime = self._file.stat().st_mtime_ns
            if self._file_keys is None or self._file_keys[0] != mtime:
                self._file_keys = (mtime, jwt.PyJWKSet.from_json(self._file.read_text(encoding="utf-8")))
            keys = self._file_keys[1].keys
        kid = jwt.get_unverified_header(token).get("kid")
        for key in keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise Unauthorized("unknown signing key")

    def verify(self, token: str) -> Principal:
        """A verified principal, or `Unauthorized` for anything wrong with the token."""
        try:
            key = (
                self._client.get_signing_key_from_jwt(token).key
                if self._client is not None
                else self._key_from_file(token)
            )
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._audience is not None,
                    "verify_iss": self._issuer is not None,
                },
            )
        except (jwt.PyJWTError, OSError, ValueError, TypeError, KeyError) as exc:
            raise Unauthorized("invalid or expired token") from exc
        sub = claims.get("sub")
        groups = claims.get("cognito:groups", [])
        merchant_id = claims.get("custom:merchant_id")
        if not isinstance(sub, str) or not _SUBJECT.fullmatch(sub):
            raise Unauthorized("the token has no valid subject")
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise Unauthorized("cognito:groups must be a list of strings")
        if merchant_id is not None and (not isinstance(merchant_id, str) or not _SUBJECT.fullmatch(merchant_id)):
            raise Unauthorized("custom:merchant_id must be a string")
        return Principal(sub=sub, groups=frozenset(groups), merchant_id=merchant_id or None)
