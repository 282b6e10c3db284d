"""Bearer tokens: RS256 JWTs verified with PyJWT against a JWKS (a file locally, Cognito's URL in AWS).

`exp` is always checked against real time (never the movable local clock), with at most 60 s leeway.

One issuer (`TokenVerifier`: the local stage's dev key) gives the roles its tokens' `cognito:groups` name. In
the cloud there are two user pools (docs/RULES.md, "Cloud"): `TwoPools` sends a token to the pool its
(unverified) `iss` names, whose verifier then checks everything, `iss` included. Every user of the staff
pool is staff and nothing else; the residents' pool grants `residents` and `merchants`, never `staff`.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt

from chalicelib.domain.errors import Forbidden, Unauthorized

RESIDENTS = "residents"
MERCHANTS = "merchants"
STAFF = "staff"
ROLES = (RESIDENTS, MERCHANTS, STAFF)
LEEWAY_SECONDS = 60
VERIFIED_KEPT = 1024
"""Tokens a process remembers as verified (the most recently used): a warm instance serving the same callers
checks each signature once (docs/PERFORMANCE.md, "`POST /payments` against its floor")."""
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


class Verifier(Protocol):
    def verify(self, token: str) -> Principal:
        """A verified principal, or `Unauthorized` for anything wrong with the token."""
        ...


class TokenVerifier:
    """The tokens of one issuer: its keys (a JWKS file or URL), its `iss` and `aud` when given, and its roles.

    `role`: every user of this issuer has this role and no other (the staff pool); the token's groups and
    merchant id are not read. Otherwise the roles are the token's `cognito:groups` less `withheld` (the
    residents' pool withholds `staff` once staff have a pool of their own).
    """

    def __init__(
        self,
        *,
        jwks_file: str | None,
        jwks_url: str | None,
        issuer: str | None,
        audience: str | None,
        role: str | None = None,
        withheld: frozenset[str] = frozenset(),
    ) -> None:
        if not jwks_file and not jwks_url:
            raise ValueError("set AUTH_JWKS_FILE or AUTH_JWKS_URL")
        self._file = Path(jwks_file) if jwks_file else None
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600) if jwks_url else None
        self.issuer = issuer
        self._audience = audience
        self._role = role
        self._withheld = withheld
        self._lock = threading.Lock()
        self._file_keys: tuple[int, jwt.PyJWKSet] | None = None
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()

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
        """A verified principal, or `Unauthorized` for anything wrong with the token. A token already verified
        by this process is answered from memory until it expires (a signed token cannot change, so checking it
        again proves nothing new; its `exp` is still checked against real time on every use)."""
        with self._lock:
            known = self._verified.get(token)
            if known is not None:
                self._verified.move_to_end(token)
        if known is not None:
            principal, expires = known
            if time.time() < expires + LEEWAY_SECONDS:  # real time, as PyJWT checks it
                return principal
        principal, expires = self._verify(token)
        with self._lock:
            self._verified[token] = (principal, expires)
            if len(self._verified) > VERIFIED_KEPT:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, int]:
        """The principal and the token's `exp`, from the signature and the claims."""
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
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._audience is not None,
                    "verify_iss": self.issuer is not None,
                },
            )
        except (jwt.PyJWTError, OSError, ValueError, TypeError, KeyError) as exc:
            raise Unauthorized("invalid or expired token") from exc
        sub = claims.get("sub")
        if not isinstance(sub, str) or not _SUBJECT.fullmatch(sub):
            raise Unauthorized("the token has no valid subject")
        expires = int(claims["exp"])
        if self._role is not None:
            return Principal(sub=sub, groups=frozenset({self._role})), expires
        groups = claims.get("cognito:groups", [])
        merchant_id = claims.get("custom:merchant_id")
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise Unauthorized("cognito:groups must be a list of strings")
        if merchant_id is not None and (not isinstance(merchant_id, str) or not _SUBJECT.fullmatch(merchant_id)):
            raise Unauthorized("custom:merchant_id must be a string")
        return Principal(sub=sub, groups=frozenset(groups) - self._withheld, merchant_id=merchant_id or None), expires


class TwoPools:
    """The residents' pool (residents, merchants) and the staff pool, told apart by the token's `iss`.

    The unverified `iss` only chooses the verifier; that verifier checks the signature against its own pool's
    keys and `iss` against its own issuer, so a token signed in one pool that names the other is refused.
    """

    def __init__(self, *, residents: TokenVerifier, staff: TokenVerifier) -> None:
        if not residents.issuer or not staff.issuer or residents.issuer == staff.issuer:
            raise ValueError("with a staff pool, AUTH_ISSUER and STAFF_AUTH_ISSUER must name two different issuers")
        self._residents = residents
        self._staff = staff

    def verify(self, token: str) -> Principal:
        try:
            iss = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized("invalid or expired token") from exc
        return (self._staff if iss == self._staff.issuer else self._residents).verify(token)
