"""RDS's errors and input checks in one place: codes and messages as RDS answers them, and the
one paging rule of every Describe* (MaxRecords 20-100, default 100, and a Marker)."""

from __future__ import annotations

import re
from typing import Any

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator

IDENTIFIER = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$")
MASTER_USERNAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,62}$")
# The names PostgreSQL on RDS keeps for itself.
RESERVED_USERNAMES = {"rdsadmin", "rdsrepladmin", "rds_superuser", "rds_replication", "public", "pg_monitor"}
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
PI_RETENTION = (7, 731) + tuple(31 * months for months in range(1, 24))
STORAGE = {"gp2": (20, 65536), "gp3": (20, 65536), "io1": (100, 65536), "io2": (100, 65536), "standard": (5, 3072)}
INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9]+$")

RECORDS = PageRule(token="Marker", size="MaxRecords", default=100, minimum=20, maximum=100,
                   out_of_range=lambda n: invalid(f"Invalid value for MaxRecords: {n}, valid values: 20-100."),
                   bad_token=lambda token: invalid("Invalid marker provided."))


def paged(paginator: Paginator, key: str, items: list, params: dict) -> dict[str, Any]:
    page, marker = paginator.paginate(items, params, RECORDS)
    result: dict[str, Any] = {key: page}
    if marker:
        result["Marker"] = marker
    return result


def required(params: dict, name: str) -> Any:
    """A member the model leaves optional (another, for DB clusters, may stand instead) that
    regionbox needs, refused in RDS's words for a missing parameter when absent."""
    value = params.get(name)
    if value is None:
        raise invalid(f"The parameter {name} must be provided and must not be null.")
    return value


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


def instance_not_found(identifier: str) -> ServiceError:
    return ServiceError("DBInstanceNotFound", f"DBInstance {identifier} not found.", 404)


def invalid_state(identifier: str, state: str = "available") -> ServiceError:
    return ServiceError("InvalidDBInstanceState", f"Instance {identifier} is not in {state} state.")


def identifier(value: str, parameter: str = "DBInstanceIdentifier") -> str:
    if not IDENTIFIER.match(value):
        raise invalid(f"The parameter {parameter} is not a valid identifier. Identifiers must begin with a letter; must "
                      "contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
                      "consecutive hyphens.")
    return value.lower()  # RDS keeps identifiers in lowercase


def master_username(value: str) -> str:
    if not MASTER_USERNAME.match(value):
        raise invalid("The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; must "
                      "contain only ASCII letters, digits, and underscores.")
    if value.lower() in RESERVED_USERNAMES:
        raise invalid(f"MasterUsername {value} cannot be used as it is a reserved word used by the engine")
    return value


def master_password(value: str) -> str:
    if len(value) < 8:
        raise invalid("The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.")
    if len(value) > 128:
        raise invalid("The parameter MasterUserPassword is not a valid password because it is longer than 128 characters.")
    if any(ch in value for ch in "/\"@ ") or not value.isprintable() or not value.isascii():
        raise invalid("The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides "
                      "'/', '@', '\"', ' ' may be used.")
    return value


def storage(engine: str, storage_type: str, size: int) -> None:
    low, high = STORAGE.get(storage_type, STORAGE["gp2"])
    if not low <= size <= high:
        raise invalid(f"Invalid storage size for engine name {engine} and storage type {storage_type}: {size}")


def instance_class(value: str) -> str:
    if not INSTANCE_CLASS.match(value):
        raise invalid(f"Invalid DB Instance class: {value}")
    return value


def monitoring(interval: int | None, role_arn: str | None) -> None:
    if interval is not None and interval not in MONITORING_INTERVALS:
        raise invalid("Invalid Monitoring Interval. Valid values are 0, 1, 5, 10, 15, 30, 60.")
    if interval and not role_arn:
        raise combination("A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.")
    if role_arn and interval == 0:
        raise combination("You must specify a MonitoringInterval value other than 0 when you specify a MonitoringRoleARN value.")


def pi_retention(value: int | None) -> None:
    if value is not None and value not in PI_RETENTION:
        raise invalid(f"Invalid PerformanceInsightsRetentionPeriod: {value}. Valid values are 7, month * 31 (where month is "
                      "a number of months from 1-23), and 731.")


MAINTENANCE_WINDOW = "sun:05:00-sun:05:30"  # the maintenance window every instance has here


def backup_window(value: str) -> str:
    """PreferredBackupWindow: hh24:mi-hh24:mi in UTC, at least 30 minutes, clear of the maintenance window."""
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", value or "")
    if match is None:
        raise invalid(f"Invalid backup window format: {value}. The backup window must be in the format hh24:mi-hh24:mi.")
    start, end = int(match[1]) * 60 + int(match[2]), int(match[3]) * 60 + int(match[4])
    if (end - start) % 1440 < 30:
        raise invalid("The backup window must be at least 30 minutes.")
    maintenance = (5 * 60, 5 * 60 + 30)
    inside = (lambda minute: start <= minute < end) if start < end else (lambda minute: minute >= start or minute < end)
    if any(inside(minute) for minute in range(*maintenance)):
        raise invalid("The backup window and maintenance window must not overlap.")
    return value
