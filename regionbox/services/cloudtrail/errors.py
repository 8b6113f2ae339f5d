"""CloudTrail's errors, built in one place. Codes are the model's; messages are AWS's where its
wording is on record (trail names, unknown trails, bucket policies, CloudWatch Logs roles), and
otherwise say what was wrong in AWS's style."""

from __future__ import annotations

from regionbox.core.errors import ServiceError


def error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, status=400)


def trail_not_found(name: str, account: str) -> ServiceError:
    return error("TrailNotFoundException", f"Unknown trail: {name} for the user: {account}")


def invalid_trail_name(message: str) -> ServiceError:
    return error("InvalidTrailNameException", message)


def arn_invalid(message: str) -> ServiceError:
    return error("CloudTrailARNInvalidException", message)


def wrong_account(account: str) -> ServiceError:
    return arn_invalid(f"AccountID in ARN is wrong, you can only access resources with AccountID {account}.")


def home_region(arn: str, home: str) -> ServiceError:
    return error("InvalidHomeRegionException",
                 f"The trail {arn} can only be modified from its home region, {home}.")


def invalid_parameter(message: str) -> ServiceError:
    return error("InvalidParameterException", message)


def invalid_combination(message: str) -> ServiceError:
    return error("InvalidParameterCombinationException", message)


def invalid_selectors(message: str) -> ServiceError:
    return error("InvalidEventSelectorsException", message)


def eds_arn_invalid(identifier: str) -> ServiceError:
    return error("EventDataStoreARNInvalidException",
                 f"The specified event data store ARN {identifier} is not valid or does not map to an event data "
                 "store in your account.")


def eds_not_found(identifier: str) -> ServiceError:
    return error("EventDataStoreNotFoundException", f"The specified event data store {identifier} was not found.")


def eds_inactive(arn: str) -> ServiceError:
    return error("InactiveEventDataStoreException", f"The event data store {arn} is inactive.")


def eds_status(arn: str, status: str) -> ServiceError:
    return error("InvalidEventDataStoreStatusException",
                 f"The event data store {arn} is in the {status} status, which does not allow this operation.")


def eds_category(message: str) -> ServiceError:
    return error("InvalidEventDataStoreCategoryException", message)


def channel_arn_invalid(identifier: str) -> ServiceError:
    return error("ChannelARNInvalidException", f"The specified channel ARN {identifier} is not valid or does not map "
                 "to a channel in your account.")


def channel_not_found(identifier: str) -> ServiceError:
    return error("ChannelNotFoundException", f"The specified channel {identifier} was not found.")


def resource_not_found(arn: str) -> ServiceError:
    return error("ResourceNotFoundException", f"The specified resource {arn} was not found.")


def query_not_found(query_id: str) -> ServiceError:
    return error("QueryIdNotFoundException", f"The query ID {query_id} does not exist or has expired.")


def invalid_query(message: str) -> ServiceError:
    return error("InvalidQueryStatementException", message)


def kms_not_found(key: str) -> ServiceError:
    # regionbox serves no KMS: every key named is one that does not exist.
    return error("KmsKeyNotFoundException",
                 f"KMS key {key} does not exist or is not in the same region as the resource (regionbox serves no KMS keys).")


def organizations_not_in_use() -> ServiceError:
    # regionbox serves no AWS Organizations: no account is in an organization.
    return error("OrganizationsNotInUseException",
                 "This account is not a member of an organization (regionbox does not serve AWS Organizations).")


def bucket_policy(bucket: str) -> ServiceError:
    return error("InsufficientS3BucketPolicyException", f"Incorrect S3 bucket policy is detected for bucket: {bucket}")


def no_bucket(bucket: str) -> ServiceError:
    return error("S3BucketDoesNotExistException", f"S3 bucket {bucket} does not exist!")


def tags_limit() -> ServiceError:
    return error("TagsLimitExceededException",
                 "The number of tags per trail, event data store, dashboard, or channel has exceeded the permitted "
                 "amount. Currently, the limit is 50.")


def invalid_tag(message: str) -> ServiceError:
    return error("InvalidTagParameterException", message)


def max_results(message: str = "Value for MaxResults is out of range.") -> ServiceError:
    return error("InvalidMaxResultsException", message)


def next_token() -> ServiceError:
    return error("InvalidNextTokenException", "Invalid NextToken.")
