"""Members the RDS model leaves optional because a DB cluster may stand instead (a replica's
source, a restore's snapshot), which regionbox needs: without them RDS's own words for a missing
parameter, never an internal error (a gateway fuzz case found both answering 500)."""

from __future__ import annotations

import botocore.exceptions
import pytest
from botocore.config import Config


@pytest.mark.parametrize("operation", ["create_db_instance_read_replica", "restore_db_instance_from_db_snapshot"])
def test_a_missing_source_is_refused_in_rds_words(cloud, operation):
    # The CLI and boto3 check nothing here either: the model does not require the member.
    rds = cloud.client("rds", config=Config(retries={"max_attempts": 0}))
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        getattr(rds, operation)(DBInstanceIdentifier="copy")
    error = caught.value.response["Error"]
    member = "SourceDBInstanceIdentifier" if operation.startswith("create") else "DBSnapshotIdentifier"
    assert (error["Code"], error["Message"]) == ("InvalidParameterValue",
                                                 f"The parameter {member} must be provided and must not be null.")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
