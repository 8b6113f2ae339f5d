"""DAX's input rules and errors: names, ARNs, page sizes, tags, node types.

AWS publishes the constraints (1 to 20 characters for a cluster name, replication factor 1 to 10,
MaxResults 20 to 100) but not every message text; where a text is not published, the wording
follows ElastiCache's, whose control plane DAX shares, and says what was wrong.
"""

from __future__ import annotations

import re

from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule

NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$")
MAX_REPLICATION_FACTOR = 10
MAX_TAGS = 50

# GiB of memory per node type (the instance's), which bounds the node's cache.
NODE_TYPES: dict[str, float] = {
    "dax.t2.small": 2, "dax.t2.medium": 4, "dax.t3.small": 2, "dax.t3.medium": 4,
    "dax.r3.large": 15.25, "dax.r3.xlarge": 30.5, "dax.r3.2xlarge": 61, "dax.r3.4xlarge": 122, "dax.r3.8xlarge": 244,
    "dax.r4.large": 15.25, "dax.r4.xlarge": 30.5, "dax.r4.2xlarge": 61, "dax.r4.4xlarge": 122, "dax.r4.8xlarge": 244,
    "dax.r4.16xlarge": 488,
    "dax.r5.large": 16, "dax.r5.xlarge": 32, "dax.r5.2xlarge": 64, "dax.r5.4xlarge": 128, "dax.r5.8xlarge": 256,
    "dax.r5.12xlarge": 384, "dax.r5.16xlarge": 512, "dax.r5.24xlarge": 768,
}


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombinationException", message)


def _page_size(size: int) -> ServiceError:
    return invalid("The value for MaxResults must be between 20 and 100.")


def _bad_token(token: str) -> ServiceError:
    return invalid("Invalid NextToken.")


RESULTS = PageRule(out_of_range=_page_size, token="NextToken", size="MaxResults", default=100, minimum=20, maximum=100,
                   bad_token=_bad_token)


def page(paginator, key: str, items: list, params: dict) -> dict:
    found, token = paginator.paginate(items, params, RESULTS)
    return {key: found, **({"NextToken": token} if token else {})}


def name(value: str, what: str) -> str:
    """A cluster, parameter group or subnet group name, stored lowercase as DAX stores it."""
    if not NAME.match(value) or value.endswith("-") or (what == "Cluster" and len(value) > 20):
        raise invalid(f"{what} ID specified is not a valid identifier. Identifiers must begin with a letter; must "
                      "contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain "
                      "two consecutive hyphens." if what == "Cluster" else
                      f"Invalid {what} name: {value}. {what} names must begin with a letter; must contain only "
                      "ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
                      "consecutive hyphens.")
    return value.lower()


def arn(value: str) -> str:
    """An ARN's shape, checked part by part as AWS's ARN parser reports it."""
    if not value.startswith("arn:"):
        raise invalid(f"ARNs must start with 'arn:': {value}")
    sections = value.split(":")
    for count, message in ((3, "Second colon partition not found"), (4, "Third colon vendor not found"),
                           (5, "Fourth colon (region/namespace delimiter) not found"),
                           (6, "Fifth colon (namespace/relative-id delimiter) not found")):
        if len(sections) < count:
            raise invalid(f"{message}: {value}")
    return value


DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
WINDOW = re.compile(r"^(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)-(sun|mon|tue|wed|thu|fri|sat):"
                    r"([01]\d|2[0-3]):([0-5]\d)$")


def maintenance_window(value: str) -> str:
    """ddd:hh24:mi-ddd:hh24:mi (UTC), at least 60 minutes long."""
    found = WINDOW.match(value.lower())
    if found is not None:
        start_day, start_hour, start_minute, end_day, end_hour, end_minute = found.groups()
        start = DAYS.index(start_day) * 1440 + int(start_hour) * 60 + int(start_minute)
        end = DAYS.index(end_day) * 1440 + int(end_hour) * 60 + int(end_minute)
        if (end - start) % (7 * 1440) >= 60:
            return value.lower()
    raise invalid(f"Invalid maintenance window: {value}. The format is ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC) and "
                  "the minimum maintenance window is a 60 minute period.")


def default_maintenance_window(cluster_name: str) -> str:
    """AWS assigns "a 60-minute maintenance window on a randomly selected day of the week"; here
    the day and hour follow from the name, so a cluster created again gets the same one."""
    digest = sum(cluster_name.encode())
    start = (digest % 7) * 1440 + (digest % 24) * 60
    end = (start + 60) % (7 * 1440)
    return f"{_moment(start)}-{_moment(end)}"


def _moment(minutes: int) -> str:
    return f"{DAYS[minutes // 1440]}:{minutes % 1440 // 60:02d}:{minutes % 60:02d}"


def node_type(value: str) -> str:
    if value not in NODE_TYPES:
        raise invalid(f"Invalid node type: {value}")
    return value


def memory_bytes(node_type_name: str) -> int:
    return int(NODE_TYPES.get(node_type_name, 16) * 1024 ** 3)


def tags(given: list[dict]) -> list[dict]:
    for tag in given:
        if "Key" not in tag or not tag["Key"]:
            raise invalid("Tag keys must not be empty.")
        if tag["Key"].lower().startswith("aws:"):
            raise invalid("Tag keys must not start with 'aws:'.")
    return [{"Key": tag["Key"], "Value": tag.get("Value", "")} for tag in given]


def merged_tags(current: list[dict], given: list[dict]) -> list[dict]:
    result = {tag["Key"]: tag["Value"] for tag in current}
    result.update({tag["Key"]: tag["Value"] for tag in tags(given)})
    if len(result) > MAX_TAGS:
        raise ServiceError("TagQuotaPerResourceExceeded", f"You have exceeded the allowed number of tags: {MAX_TAGS}")
    return [{"Key": key, "Value": value} for key, value in result.items()]
