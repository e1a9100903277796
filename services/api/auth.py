"""Bearer-token authentication: who sent a request, from a JWT signed with HS256 (a shared
secret) or RS256 (a public key), and `mint_token` for local development.

`sub` must be a UUID, since it becomes the event's `user_id` and the Kafka key; `exp` is
required, so a leaked token cannot work forever. Verified tokens are remembered until they
expire: a client sends the same token on every request, and checking its signature again
each time would cost more than the rest of a small request.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from services.api.errors import AuthenticationError
from services.api.settings import ApiSettings

_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user id and when its token expires (epoch seconds)."""

    user_id: str
    expires_at: float


class TokenVerifier:
    """Turns an `Authorization` header into a `Principal`, or raises AuthenticationError."""

    def __init__(self, settings: ApiSettings, *, clock: Callable[[], float] = time.time) -> None:
        if settings.api_jwt_public_key:
            self._key: str = settings.api_jwt_public_key
            self._algorithms = ["RS256"]
        else:
            self._key = settings.api_jwt_secret.get_secret_value()
            self._algorithms = ["HS256"]
        self._leeway = settings.api_jwt_leeway
        self._clock = clock
        self._verified: OrderedDict[str, Principal] = OrderedDict()
        self._lock = threading.Lock()

    def authenticate(self, header: str | None) -> Principal:
        token = _bearer_token(header)
        with self._lock:
            known = self._verified.get(token)
        if known is not None:
            if self._clock() >= known.expires_at + self._leeway:
                raise AuthenticationError("the token has expired")
            return known
        principal = self._verify(token)
        with self._lock:
            self._verified[token] = principal
            if len(self._verified) > _CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                leeway=self._leeway,
                options={"require": ["sub", "exp"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the token has expired") from None
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"the token is not valid: {exc}") from None
        try:
            user_id = str(uuid.UUID(str(claims["sub"])))
        except ValueError:
            raise AuthenticationError("the token's subject (sub) must be a user UUID") from None
        return Principal(user_id, float(claims["exp"]))


def _bearer_token(header: str | None) -> str:
    if not header:
        raise AuthenticationError("missing Authorization header; send 'Bearer <token>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def mint_token(
    user_id: str, secret: str, *, ttl: float = 24 * 3600, now: float | None = None
) -> str:
    """An HS256 token for `user_id`, valid for `ttl` seconds: for local development."""
    issued = time.time() if now is None else now
    claims = {"sub": str(uuid.UUID(user_id)), "iat": int(issued), "exp": int(issued + ttl)}
    return jwt.encode(claims, secret, algorithm="HS256")
