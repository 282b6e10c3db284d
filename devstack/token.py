"""Dev signing key and tokens for the local stack.

When AUTH_JWKS_FILE is unset the stack verifies tokens against a dev key kept in the state directory;
this module makes that key once and signs tokens shaped like Cognito ID tokens with it.

    python -m devstack.token ROLE SUB [--merchant-id M] [--ttl SECONDS]
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from devstack.paths import state_dir as default_state_dir

KEY_FILE = "dev-signing-key.pem"
JWKS_FILE = "jwks.json"
GROUPS = {"resident": "residents", "merchant": "merchants", "staff": "staff"}


def _write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _load_or_create_key(directory: Path) -> rsa.RSAPrivateKey:
    """The dev key, created once; concurrent first callers agree on a single key."""
    path = directory / KEY_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = directory / f".{KEY_FILE}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            os.link(tmp, path)  # fails if another process won the race: then use its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return _read_key(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read_key(path: Path, mtime_ns: int) -> rsa.RSAPrivateKey:
    """Parsing checks the RSA key (tens of ms), so it is done once per key file version."""
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{path} is not an RSA private key")
    return loaded


def _public_jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    jwk: dict[str, str] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    # RFC 7638 thumbprint: stable for the key, so a kid never names two keys.
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def _dev_key(directory: Path) -> tuple[rsa.RSAPrivateKey, dict[str, str], Path]:
    """The dev key, its public JWK, and its JWKS file (written if missing or stale)."""
    key = _load_or_create_key(directory)
    jwk = _public_jwk(key)
    jwks_path = directory / JWKS_FILE
    payload = json.dumps({"keys": [jwk]}, indent=2).encode()
    if not jwks_path.exists() or jwks_path.read_bytes() != payload:
        _write_atomically(jwks_path, payload)
    return key, jwk, jwks_path


def ensure_dev_key(state_dir: str | Path | None = None) -> Path:
    """Make the dev key if missing, (re)write its JWKS next to it, and return the JWKS path."""
    return _dev_key(Path(state_dir) if state_dir is not None else default_state_dir())[2]


def mint(
    role: str,
    sub: str,
    merchant_id: str | None = None,
    ttl: int = 3600,
    state_dir: str | Path | None = None,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """One RS256 token shaped like a Cognito ID token, signed with the dev key.

    `iss`/`aud` are `issuer`/`audience`, else AUTH_ISSUER/AUTH_AUDIENCE when set, as the API checks them.
    """
    if role not in GROUPS:
        raise ValueError(f"role must be one of {', '.join(GROUPS)}, not {role!r}")
    if role == "merchant" and not merchant_id:
        raise ValueError("a merchant token needs a merchant id")
    if role != "merchant" and merchant_id:
        raise ValueError("only merchant tokens carry a merchant id")
    key, jwk, _ = _dev_key(Path(state_dir) if state_dir is not None else default_state_dir())
    now = int(time.time())  # tokens expire by real time, never by the movable local clock
    claims: dict[str, object] = {
        "sub": sub,
        "cognito:username": sub,
        "cognito:groups": [GROUPS[role]],
        "token_use": "id",
        "iat": now,
        "auth_time": now,
        "exp": now + ttl,
    }
    if merchant_id:
        claims["custom:merchant_id"] = merchant_id
    iss = issuer or os.environ.get("AUTH_ISSUER", "").strip()
    aud = audience or os.environ.get("AUTH_AUDIENCE", "").strip()
    if iss:
        claims["iss"] = iss
    if aud:
        claims["aud"] = aud
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwk["kid"]})


def main(argv: list[str] | None = None) -> int:
    """Print one dev token."""
    parser = argparse.ArgumentParser(prog="python -m devstack.token", description="Print a dev token.")
    parser.add_argument("role", choices=sorted(GROUPS))
    parser.add_argument("sub", help="the user id (sub claim)")
    parser.add_argument("--merchant-id", help="custom:merchant_id (merchant tokens only, required)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    args = parser.parse_args(argv)
    try:
        token = mint(args.role, args.sub, merchant_id=args.merchant_id, ttl=args.ttl)
    except ValueError as e:
        parser.error(str(e))
    dev_jwks = default_state_dir() / JWKS_FILE
    configured = os.environ.get("AUTH_JWKS_FILE", "").strip()
    if configured and Path(configured).resolve() != dev_jwks.resolve():
        print(f"warning: AUTH_JWKS_FILE={configured} is set; the API will refuse dev tokens", file=sys.stderr)
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
