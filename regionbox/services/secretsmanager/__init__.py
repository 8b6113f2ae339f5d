"""Secrets Manager: secrets, their versions and staging labels (secrets.py), read by other
services through its api (api.py): Transfer Family's SFTP connectors keep their login there.
Rotation, replication, resource policies and random passwords are not served."""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect

NOT_SERVED = {
    **dict.fromkeys("RotateSecret CancelRotateSecret".split(),
                    "rotation runs a Lambda function on a schedule, which regionbox's Secrets Manager does not do yet"),
    **dict.fromkeys("ReplicateSecretToRegions RemoveRegionsFromReplication StopReplicationToReplica".split(),
                    "replication to other regions is not served"),
    **dict.fromkeys("GetResourcePolicy PutResourcePolicy DeleteResourcePolicy ValidateResourcePolicy".split(),
                    "resource policies on secrets are not served"),
    **dict.fromkeys("BatchGetSecretValue GetRandomPassword ListSecretVersionIds UpdateSecretVersionStage".split(),
                    "not built yet: the secrets and their current values are"),
}


def load(cloud) -> Service:
    from regionbox.services.secretsmanager.api import SecretsManagerApi
    from regionbox.services.secretsmanager.secrets import Secrets

    secrets = Secrets(cloud.store, cloud.paginator)

    def resources(ctx, operation: str, params: dict) -> list[str]:
        found = secrets.find(ctx.scope, params["SecretId"]) if params.get("SecretId") else None
        return [found.arn] if found is not None else ["*"]

    return Service(
        name="secretsmanager",
        operations={
            "CreateSecret": secrets.create_secret,
            "DescribeSecret": secrets.describe_secret,
            "GetSecretValue": secrets.get_secret_value,
            "PutSecretValue": secrets.put_secret_value,
            "UpdateSecret": secrets.update_secret,
            "ListSecrets": secrets.list_secrets,
            "DeleteSecret": secrets.delete_secret,
            "RestoreSecret": secrets.restore_secret,
            "TagResource": secrets.tag_resource,
            "UntagResource": secrets.untag_resource,
        },
        not_implemented=NOT_SERVED,
        dialect=Dialect(validation_code="InvalidParameterException"),
        api=SecretsManagerApi(secrets),
        resources=resources,
    )
