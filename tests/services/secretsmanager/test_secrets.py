"""Secrets Manager through boto3: a secret's versions move AWSCURRENT and AWSPREVIOUS as values
are put; deletion waits out a recovery window (and can be undone) unless forced."""

from __future__ import annotations

from tests.services.iam_support import error_of


def test_versions_stages_and_deletion(cloud):
    sm = cloud.client("secretsmanager")
    created = sm.create_secret(Name="sftp/partner", SecretString='{"Username": "u", "Password": "p"}',
                               Description="partner login", Tags=[{"Key": "team", "Value": "files"}])
    assert created["ARN"].startswith("arn:aws:secretsmanager:us-east-1:") and ":secret:sftp/partner-" in created["ARN"]
    assert len(created["ARN"].rsplit("-", 1)[1]) == 6
    first = created["VersionId"]
    assert error_of(lambda: sm.create_secret(Name="sftp/partner", SecretString="x")) == (
        "ResourceExistsException", "The operation failed because the secret sftp/partner already exists.")
    assert error_of(lambda: sm.create_secret(Name="both", SecretString="x", SecretBinary=b"y"))[0] == "InvalidParameterException"

    value = sm.get_secret_value(SecretId="sftp/partner")
    assert value["SecretString"] == '{"Username": "u", "Password": "p"}' and value["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=created["ARN"])["VersionId"] == first  # by ARN too

    token = "a" * 32
    put = sm.put_secret_value(SecretId="sftp/partner", SecretString="second", ClientRequestToken=token)
    assert put["VersionId"] == token and put["VersionStages"] == ["AWSCURRENT"]
    assert sm.put_secret_value(SecretId="sftp/partner", SecretString="second", ClientRequestToken=token)["VersionId"] == token
    assert error_of(lambda: sm.put_secret_value(SecretId="sftp/partner", SecretString="other", ClientRequestToken=token))[0] \
        == "ResourceExistsException"
    assert sm.get_secret_value(SecretId="sftp/partner")["SecretString"] == "second"
    assert sm.get_secret_value(SecretId="sftp/partner", VersionStage="AWSPREVIOUS")["VersionId"] == first
    described = sm.describe_secret(SecretId="sftp/partner")
    assert described["VersionIdsToStages"] == {first: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    assert described["LastAccessedDate"].hour == 0 and described["LastAccessedDate"].minute == 0  # the date only
    assert described["Description"] == "partner login" and described["Tags"] == [{"Key": "team", "Value": "files"}]

    sm.create_secret(Name="binary", SecretBinary=b"\x00\x01")
    assert sm.get_secret_value(SecretId="binary")["SecretBinary"] == b"\x00\x01"
    page = sm.list_secrets(MaxResults=1)
    assert [s["Name"] for s in page["SecretList"]] == ["sftp/partner"]
    assert [s["Name"] for s in sm.list_secrets(NextToken=page["NextToken"])["SecretList"]] == ["binary"]
    assert [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": ["sftp/"]}])["SecretList"]] == ["sftp/partner"]

    deleted = sm.delete_secret(SecretId="sftp/partner", RecoveryWindowInDays=7)
    assert (deleted["DeletionDate"] - sm.describe_secret(SecretId="sftp/partner")["DeletedDate"]).days == 7
    assert error_of(lambda: sm.get_secret_value(SecretId="sftp/partner")) == (
        "InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == ["binary"]
    sm.restore_secret(SecretId="sftp/partner")
    assert sm.get_secret_value(SecretId="sftp/partner")["SecretString"] == "second"
    sm.delete_secret(SecretId="sftp/partner", ForceDeleteWithoutRecovery=True)
    assert error_of(lambda: sm.get_secret_value(SecretId="sftp/partner")) == (
        "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    assert error_of(lambda: sm.rotate_secret(SecretId="binary"))[0] in ("NotImplemented", "NotImplementedException", "501")
