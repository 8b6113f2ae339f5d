"""What the IAM and STS test modules share: the code and message of the error a call fails with."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_of(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]
