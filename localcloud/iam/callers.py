"""Who signed a request: the principal its access key belongs to, checked as AWS checks it.

A request's SigV4 credential names an access key. localcloud knows three kinds:
- a role session's temporary key (`ASIA...`, issued by STS's AssumeRole, by CodeBuild's
  container credentials endpoint or by an instance's metadata service): the request acts as
  `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, and must carry that session's token and be
  used before the session expires;
- an IAM user's access key (`AKIA...`, from CreateAccessKey): the request acts as the user;
- any other key (the suite's `testing` keys, whatever a user types): the account's root, as
  moto treats it. localcloud listens on loopback only, so this is the operator of the machine.

The keys' records live in moto's STS and IAM backends, which issue them. Signatures are not
recomputed: localcloud proves who a key belongs to and whether the session is still valid, not
that the signer holds the secret (see docs/aws-behaviour.md, "Deviations").
Sources: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_use-resources.html
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from localcloud.exceptions import ServiceError
from localcloud.principal import Principal


class InvalidClientTokenId(ServiceError):
    """The request's key or session token is not one AWS issued (query protocols' code;
    JSON services answer UnrecognizedClientException)."""
    http_status = 403


class ExpiredToken(ServiceError):
    """The role session's credentials have expired (JSON services: ExpiredTokenException)."""
    http_status = 400


class SignatureDoesNotMatch(ServiceError):
    """The credential scope is not one AWS accepts, e.g. a Region that is no Region (JSON
    services: InvalidSignatureException)."""
    http_status = 403


_JSON_CODES = {"InvalidClientTokenId": "UnrecognizedClientException", "ExpiredToken": "ExpiredTokenException",
               "SignatureDoesNotMatch": "InvalidSignatureException"}

# A Region's shape (us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5): a Region
# names per-Region state, on disk too (a repository lives under <state>/codecommit/<region>/),
# so a scope such as "../.." must be refused before anything uses it.
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def check_region(region: str | None) -> None:
    if region is not None and not REGION.fullmatch(region):
        raise SignatureDoesNotMatch(f"Credential should be scoped to a valid region, not '{region}'. ")


def error_for_protocol(err: ServiceError, protocol: str) -> ServiceError:
    """The same refusal under the code the request's protocol uses."""
    if protocol in ("json", "rest-json") and err.code in _JSON_CODES:
        err.code = _JSON_CODES[err.code]
    return err


_sessions: dict[str, object] = {}  # access key -> moto's AssumedRole, filled on a miss


def forget() -> None:
    """Drop the session cache (moto's state was reset)."""
    _sessions.clear()


def _assumed_role(access_key: str):
    from moto.sts.models import sts_backends

    session = _sessions.get(access_key)
    if session is not None:
        return session
    for account in list(sts_backends.values()):
        for backend in list(account.values()):
            for session in list(backend.assumed_roles):
                _sessions[session.access_key_id] = session
    return _sessions.get(access_key)


def _user(access_key: str):
    from moto.iam.models import iam_backends

    for account in list(iam_backends.values()):
        for backend in list(account.values()):
            key = backend.access_keys.get(access_key)
            if key is not None and not getattr(key, "role_arn", None):
                return backend.get_user_from_access_key_id(access_key), key
    return None, None


def principal_of(access_key: str | None, session_token: str | None, account_id: str,
                 now: datetime | None = None) -> Principal:
    """The principal `access_key` acts as; InvalidClientTokenId or ExpiredToken when AWS would
    refuse the credentials outright."""
    if not access_key:
        return Principal.root(account_id)
    if access_key.startswith("ASIA"):
        session = _assumed_role(access_key)
        if session is None or session_token != session.session_token:
            raise InvalidClientTokenId("The security token included in the request is invalid.")
        expiration = session.expiration
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=timezone.utc)
        if (now or datetime.now(timezone.utc)) >= expiration:
            raise ExpiredToken("The security token included in the request is expired")
        return Principal.assumed_role(session.role_arn, session.session_name)
    user, key = _user(access_key)
    if user is not None:
        if getattr(key, "status", "Active") != "Active":
            raise InvalidClientTokenId("The security token included in the request is invalid.")
        return Principal.user(user.arn, user.name)
    return Principal.root(account_id)
