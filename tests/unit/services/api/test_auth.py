from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from pydantic import SecretStr

from services.api.auth import TokenVerifier, mint_token
from services.api.errors import AuthenticationError
from services.api.settings import ApiSettings
from tests.unit.services.api.conftest import SECRET, USER

EXAMPLE = {"occurred_at": "2026-11-27T22:21:07Z", "film_id": str(uuid.uuid4()), "score": 9}
EXAMPLE["context"] = {"app": "cinema-web", "app_version": "1.0"}


def _token(claims: dict[str, object], key: str = SECRET) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


# Minted at import: valid for a day, so a long session (units run after the slow
# integration tests) never sees them expire.
LATER = int(time.time()) + 24 * 3600
BAD_HEADERS = {
    "missing": None,
    "not bearer": f"Basic {_token({'sub': USER, 'exp': LATER})}",
    "empty bearer": "Bearer ",
    "garbage": "Bearer not-a-jwt",
    "expired": f"Bearer {_token({'sub': USER, 'exp': int(time.time()) - 3600})}",
    "forged": f"Bearer {_token({'sub': USER, 'exp': LATER}, 'another-secret-of-32-bytes-or-more')}",
    "no exp": f"Bearer {_token({'sub': USER})}",
    "no sub": f"Bearer {_token({'exp': LATER})}",
    "sub not a uuid": f"Bearer {_token({'sub': 'alice', 'exp': LATER})}",
    "alg none": "Bearer " + jwt.encode({"sub": USER, "exp": LATER}, None, algorithm="none"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("header", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_post_without_a_valid_token_returns_401_json(
    client: FlaskClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.post("/api/v1/events/film_rating", json=EXAMPLE, headers=headers)
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_minted_token_authenticates_its_user() -> None:
    verifier = TokenVerifier(ApiSettings(api_jwt_secret=SecretStr(SECRET)))
    principal = verifier.authenticate(f"Bearer {mint_token(USER, SECRET)}")
    assert principal.user_id == USER


def test_cached_token_is_refused_once_it_expires() -> None:
    now = [time.time()]
    verifier = TokenVerifier(
        ApiSettings(api_jwt_secret=SecretStr(SECRET), api_jwt_leeway=0), clock=lambda: now[0]
    )
    header = f"Bearer {mint_token(USER, SECRET, ttl=60)}"
    verifier.authenticate(header)
    now[0] += 120
    with pytest.raises(AuthenticationError):
        verifier.authenticate(header)


def test_rs256_tokens_are_checked_with_the_public_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verifier = TokenVerifier(ApiSettings(api_jwt_public_key=public.decode()))
    token = jwt.encode({"sub": USER, "exp": LATER}, private, algorithm="RS256")
    assert verifier.authenticate(f"Bearer {token}").user_id == USER
    with pytest.raises(AuthenticationError):
        verifier.authenticate(f"Bearer {_token({'sub': USER, 'exp': LATER})}")
