"""IAM's matching rules (conditions.py), case by case as the IAM User Guide states them; the
behaviour through real clients is in test_iam_enforcement.py."""

from __future__ import annotations

import pytest

from regionbox.services.iam.conditions import arn_like, build_context, conditions_hold, substitute, wildcard

CONTEXT = build_context({"aws:username": "alice", "aws:SourceIp": "10.1.2.3", "aws:TagKeys": ["team", "env"],
                         "aws:SecureTransport": False, "aws:EpochTime": 1700000000, "aws:PrincipalTag/team": "a*b",
                         "aws:CurrentTime": "2026-01-01T00:00:00Z", "aws:PrincipalArn": "arn:aws:iam::111111111111:role/x/app"})


@pytest.mark.parametrize("condition, holds", [
    ({"StringEquals": {"AWS:USERNAME": "alice"}}, True),  # keys compare without case
    ({"StringEquals": {"aws:username": "Alice"}}, False),  # values with it
    ({"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}, True),
    ({"StringNotEquals": {"aws:missing": "x"}}, True),  # a negated operator holds for an absent key
    ({"StringLike": {"aws:missing": "*"}}, False),
    ({"StringEqualsIfExists": {"aws:missing": "x"}}, True),
    ({"Null": {"aws:missing": "true", "aws:username": "false"}}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env", "cost"]}}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, False),
    ({"ForAllValues:StringEquals": {"aws:missing": ["x"]}}, True),  # no values: every one matches
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}, True),
    ({"ForAnyValue:StringEquals": {"aws:missing": ["x"]}}, False),
    ({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["owner"]}}, True),
    ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "env"]}}, False),
    ({"IpAddress": {"aws:SourceIp": ["192.168.0.0/16", "10.0.0.0/8"]}}, True),
    ({"NotIpAddress": {"aws:SourceIp": "10.1.2.3/32"}}, False),
    ({"Bool": {"aws:SecureTransport": "false"}}, True),
    ({"NumericLessThanEquals": {"aws:EpochTime": 1700000000}}, True),
    ({"NumericLessThan": {"aws:EpochTime": "not a number"}}, False),
    ({"DateGreaterThanEquals": {"aws:CurrentTime": "2026-01-01T00:00:00+00:00"}}, True),
    ({"DateLessThan": {"aws:CurrentTime": 1700000000}}, False),  # epoch seconds compare too
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, True),
    ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/x/*"}}, True),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:*"}}, True),
    ({"StringLike": {"aws:username": "${aws:username}"}}, True),  # variables in values
    ({"StringEquals": {"aws:username": "${aws:userid}"}}, False),  # a variable without a value matches nothing
    ({"StringEquals": {"aws:username": "${aws:userid, 'alice'}"}}, True),  # ... unless it has a default
    ({"StringEqualsLoosely": {"aws:username": "alice"}}, False),  # an unknown operator never holds
    ({"StringEquals": {"aws:username": "alice"}, "Bool": {"aws:SecureTransport": "true"}}, False),  # all must hold
])
def test_condition_operators(condition, holds):
    assert conditions_hold(condition, CONTEXT) is holds


def test_wildcards_arns_and_variables():
    assert wildcard("dynamodb:Get*", "dynamodb:GetItem") and not wildcard("dynamodb:Get?", "dynamodb:GetItem")
    assert wildcard("DynamoDB:get*", "dynamodb:GetItem", ignore_case=True)
    assert wildcard("a[b]", "a[b]")  # brackets are no character class in IAM
    assert arn_like("arn:aws:dynamodb:*:*:table/Music", "arn:aws:dynamodb:us-east-1:111111111111:table/Music")
    # a wildcard does not span the colons of the ARN's first five parts
    assert not arn_like("arn:aws:dynamodb:*", "arn:aws:dynamodb:us-east-1:111111111111:table/Music")
    assert arn_like("arn:aws:logs:*:*:log-group:/app:*", "arn:aws:logs:us-east-1:1:log-group:/app:log-stream:s")
    assert substitute("table/${aws:username}", CONTEXT, "2012-10-17") == "table/alice"
    assert substitute("table/${aws:username}", CONTEXT, "2008-10-17") == "table/${aws:username}"  # no variables in 2008
    assert substitute("table/${aws:nope}", CONTEXT, "2012-10-17") is None
    # a value holding * is literal, not a wildcard: tag "a*b" matches only "a*b"
    pattern = substitute("x/${aws:PrincipalTag/team}", CONTEXT, "2012-10-17")
    assert wildcard(pattern, "x/a*b") and not wildcard(pattern, "x/aXXb")
    assert wildcard(substitute("x/${*}", CONTEXT, "2012-10-17"), "x/*") and not wildcard(substitute("x/${*}", CONTEXT, "2012-10-17"), "x/y")
