"""Secrets and their values: CreateSecret, DescribeSecret, GetSecretValue, PutSecretValue,
UpdateSecret, ListSecrets, DeleteSecret (with a recovery window, or forced), RestoreSecret,
TagResource, UntagResource.

Versions as AWS keeps them: a new value becomes AWSCURRENT and the version it replaced
AWSPREVIOUS; a ClientRequestToken is the new version's id, and sending the same token with the
same value again changes nothing (idempotent), with another value is refused. A secret is named
by its name or its ARN (``...:secret:<name>-<6 random characters>``).
"""

from __future__ import annotations

import base64
import secrets as random
import string
import uuid

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.secretsmanager.models import Secret, Version

RULE = PageRule(out_of_range=lambda n: ServiceError("InvalidParameterException", f"MaxResults {n} is out of range [1, 100]"),
                default=100, maximum=100)
NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED = "You can't perform this operation on the secret because it was marked for deletion."
CURRENT, PREVIOUS = "AWSCURRENT", "AWSPREVIOUS"


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message)


class Secrets:
    def __init__(self, store, paginator: Paginator) -> None:
        self.store = store
        self.secrets = store.collection("secretsmanager.secrets", Secret)
        self.paginator = paginator

    # -- finding ---------------------------------------------------------------------------------
    def find(self, scope, secret_id: str) -> Secret | None:
        """By name, by full ARN, or by the ARN without its random suffix, as AWS accepts; a secret
        whose recovery window ended is gone."""
        found = self.secrets.get(scope, secret_id)
        if found is None and secret_id.startswith("arn:"):
            found = next((s for s in self.secrets.values(scope) if s.arn == secret_id
                          or s.arn.rsplit("-", 1)[0] == secret_id), None)
        if found is not None and found.deletion is not None and found.deletion <= clock.epoch():
            self.secrets.delete(scope, found.name)
            return None
        return found

    def secret(self, scope, secret_id: str) -> Secret:
        found = self.find(scope, secret_id)
        if found is None:
            raise ServiceError("ResourceNotFoundException", NOT_FOUND)
        return found

    def _live(self, scope, secret_id: str) -> Secret:
        found = self.secret(scope, secret_id)
        if found.deleted is not None:
            raise invalid_request(MARKED)
        return found

    @staticmethod
    def readable_version(secret: Secret, version_id: str | None, stage: str | None) -> Version:
        if secret.deleted is not None:
            raise invalid_request(MARKED)
        version = secret.version(version_id, stage or (None if version_id else CURRENT))
        if version is None:
            what = f"VersionId: {version_id}" if version_id else f"staging label: {stage or CURRENT}"
            raise ServiceError("ResourceNotFoundException", f"Secrets Manager can't find the specified secret value for {what}")
        return version

    def accessed(self, scope, secret: Secret) -> None:
        """LastAccessedDate: AWS keeps the date only, so a secret is written once a day at most."""
        today = clock.epoch() - clock.epoch() % 86400
        if secret.accessed != today:
            secret.accessed = today
            self.secrets.put(scope, secret.name, secret)

    # -- values ----------------------------------------------------------------------------------
    @staticmethod
    def _value(params: dict) -> tuple[str | None, str | None]:
        text, blob = params.get("SecretString"), params.get("SecretBinary")
        if text is not None and blob is not None:
            raise invalid_parameter("You can't specify both a binary secret value and a string secret value in the same secret.")
        return text, base64.b64encode(blob).decode() if blob is not None else None

    def _add_version(self, secret: Secret, text: str | None, blob: str | None, token: str | None,
                     stages: list[str] | None = None) -> Version:
        version_id = token or str(uuid.uuid4())
        existing = secret.version(version_id)
        if existing is not None:
            if (existing.string, existing.binary) != (text, blob):
                raise ServiceError("ResourceExistsException", f"You can't modify an existing version, you can only "
                                   f"create a new version. The version {version_id} already exists.")
            return existing
        stages = list(stages or [CURRENT])
        if CURRENT in stages:
            for version in secret.versions:
                version.stages = [s for s in version.stages if s != PREVIOUS]
            for version in secret.versions:
                if CURRENT in version.stages:
                    version.stages = [s for s in version.stages if s != CURRENT] + [PREVIOUS]
        for version in secret.versions:  # a label is on one version at a time
            version.stages = [s for s in version.stages if s not in stages or s in (CURRENT, PREVIOUS)]
        version = Version(version_id=version_id, created=clock.epoch(), stages=stages, string=text, binary=blob)
        secret.versions.append(version)
        secret.versions = [v for v in secret.versions if v.stages]  # versions with no label are dropped
        secret.changed = clock.epoch()
        return version

    # -- handlers --------------------------------------------------------------------------------
    def create_secret(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        existing = self.find(ctx.scope, name)
        if existing is not None:
            if existing.deleted is not None:
                raise invalid_request("You can't create this secret because a secret with this name is already scheduled "
                                      "for deletion.")
            raise ServiceError("ResourceExistsException", f"The operation failed because the secret {name} already exists.")
        suffix = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(6))
        now = clock.epoch()
        secret = Secret(name=name, arn=ctx.arn("secretsmanager", f"secret:{name}-{suffix}"),
                        created=now, changed=now, description=params.get("Description") or "",
                        kms_key_id=params.get("KmsKeyId") or "", tags=list(params.get("Tags") or []))
        text, blob = self._value(params)
        answer = {"ARN": secret.arn, "Name": name}
        if text is not None or blob is not None:
            answer["VersionId"] = self._add_version(secret, text, blob, params.get("ClientRequestToken")).version_id
        self.secrets.put(ctx.scope, name, secret)
        return answer

    def put_secret_value(self, ctx: RequestContext, params: dict) -> dict:
        secret = self._live(ctx.scope, params["SecretId"])
        text, blob = self._value(params)
        if text is None and blob is None:
            raise invalid_parameter("You must provide either SecretString or SecretBinary.")
        version = self._add_version(secret, text, blob, params.get("ClientRequestToken"), params.get("VersionStages"))
        self.secrets.put(ctx.scope, secret.name, secret)
        return {"ARN": secret.arn, "Name": secret.name, "VersionId": version.version_id, "VersionStages": version.stages}

    def update_secret(self, ctx: RequestContext, params: dict) -> dict:
        secret = self._live(ctx.scope, params["SecretId"])
        if "Description" in params:
            secret.description = params["Description"]
        if "KmsKeyId" in params:
            secret.kms_key_id = params["KmsKeyId"]
        answer = {"ARN": secret.arn, "Name": secret.name}
        text, blob = self._value(params)
        if text is not None or blob is not None:
            answer["VersionId"] = self._add_version(secret, text, blob, params.get("ClientRequestToken")).version_id
        secret.changed = clock.epoch()
        self.secrets.put(ctx.scope, secret.name, secret)
        return answer

    def get_secret_value(self, ctx: RequestContext, params: dict) -> dict:
        secret = self.secret(ctx.scope, params["SecretId"])
        version = self.readable_version(secret, params.get("VersionId"), params.get("VersionStage"))
        self.accessed(ctx.scope, secret)
        answer = {"ARN": secret.arn, "Name": secret.name, "VersionId": version.version_id,
                  "VersionStages": version.stages, "CreatedDate": version.created}
        if version.string is not None:
            answer["SecretString"] = version.string
        if version.binary is not None:
            answer["SecretBinary"] = base64.b64decode(version.binary)
        return answer

    def _described(self, secret: Secret, listed: bool = False) -> dict:
        # DescribeSecret calls the map VersionIdsToStages; ListSecrets' entries SecretVersionsToStages.
        shown = {"ARN": secret.arn, "Name": secret.name, "CreatedDate": secret.created, "LastChangedDate": secret.changed,
                 "Tags": secret.tags, "SecretVersionsToStages" if listed else "VersionIdsToStages":
                 {v.version_id: v.stages for v in secret.versions}}
        optional = {"Description": secret.description, "KmsKeyId": secret.kms_key_id, "DeletedDate": secret.deleted,
                    "LastAccessedDate": secret.accessed}
        shown.update({k: v for k, v in optional.items() if v})
        return shown

    def describe_secret(self, ctx: RequestContext, params: dict) -> dict:
        return self._described(self.secret(ctx.scope, params["SecretId"]))

    def list_secrets(self, ctx: RequestContext, params: dict) -> dict:
        shown = [s for s in sorted(self.secrets.values(ctx.scope), key=lambda s: s.created)
                 if (s.deleted is None or params.get("IncludePlannedDeletion")) and self.find(ctx.scope, s.name)]
        for condition in params.get("Filters") or []:
            key, values = condition.get("Key"), condition.get("Values") or []
            if key == "name":
                shown = [s for s in shown if any(s.name.startswith(v) for v in values)]
            elif key == "description":
                shown = [s for s in shown if any(s.description.startswith(v) for v in values)]
            elif key == "tag-key":
                shown = [s for s in shown if any(t["Key"].startswith(v) for t in s.tags for v in values)]
            elif key == "tag-value":
                shown = [s for s in shown if any(t["Value"].startswith(v) for t in s.tags for v in values)]
            elif key == "all":
                shown = [s for s in shown if any(v in s.name or v in s.description for v in values)]
            else:
                raise invalid_parameter(f"Invalid filter key: {key}")
        page, token = self.paginator.paginate(shown, params, RULE, query=params.get("Filters"))
        return {"SecretList": [self._described(secret, listed=True) for secret in page], **({"NextToken": token} if token else {})}

    def delete_secret(self, ctx: RequestContext, params: dict) -> dict:
        secret = self.secret(ctx.scope, params["SecretId"])
        force, window = params.get("ForceDeleteWithoutRecovery"), params.get("RecoveryWindowInDays")
        if force and window is not None:
            raise invalid_parameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        if window is not None and not 7 <= window <= 30:
            raise invalid_parameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        now = clock.epoch()
        if force:
            self.secrets.delete(ctx.scope, secret.name)
            return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": now}
        if secret.deleted is None:
            secret.deleted, secret.deletion = now, now + (window or 30) * 86400
            self.secrets.put(ctx.scope, secret.name, secret)
        return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": secret.deletion}

    def restore_secret(self, ctx: RequestContext, params: dict) -> dict:
        secret = self.secret(ctx.scope, params["SecretId"])
        secret.deleted = secret.deletion = None
        self.secrets.put(ctx.scope, secret.name, secret)
        return {"ARN": secret.arn, "Name": secret.name}

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        secret = self._live(ctx.scope, params["SecretId"])
        tags = {t["Key"]: t["Value"] for t in secret.tags}
        tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        secret.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        self.secrets.put(ctx.scope, secret.name, secret)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        secret = self._live(ctx.scope, params["SecretId"])
        secret.tags = [t for t in secret.tags if t["Key"] not in set(params["TagKeys"])]
        self.secrets.put(ctx.scope, secret.name, secret)
        return {}
