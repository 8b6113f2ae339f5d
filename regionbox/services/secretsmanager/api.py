"""What Secrets Manager offers other services (``cloud.services.api("secretsmanager")``): a
secret's current value, as a service reading it on a caller's behalf gets it (Transfer Family's
connectors read their SFTP credentials this way, after IAM let their access role do
``secretsmanager:GetSecretValue``)."""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.services.secretsmanager.secrets import Secrets


@dataclass(frozen=True)
class SecretValue:
    arn: str
    name: str
    version_id: str
    string: str | None
    binary: bytes | None


class SecretsManagerApi:
    def __init__(self, secrets: Secrets) -> None:
        self._secrets = secrets

    def arn(self, account: str, region: str, secret_id: str) -> str | None:
        """The ARN of a secret named by name or ARN (None when there is none), for IAM's check."""
        found = self._secrets.find((account, region), secret_id)
        return found.arn if found is not None else None

    def value(self, account: str, region: str, secret_id: str) -> SecretValue:
        """The AWSCURRENT value; ``ServiceError`` with GetSecretValue's code when it cannot be read."""
        import base64

        secret = self._secrets.secret((account, region), secret_id)
        version = self._secrets.readable_version(secret, None, None)
        self._secrets.accessed((account, region), secret)
        return SecretValue(secret.arn, secret.name, version.version_id, version.string,
                           base64.b64decode(version.binary) if version.binary is not None else None)
