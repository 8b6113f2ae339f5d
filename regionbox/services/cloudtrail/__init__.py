"""CloudTrail: event history (LookupEvents) over the audit trail every call is recorded in."""
