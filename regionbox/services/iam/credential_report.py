"""The credential report (GenerateCredentialReport, GetCredentialReport): the CSV IAM generates,
one line for the root user and one per IAM user, with AWS's columns and words ("N/A" where a
column does not apply, "no_information" for a password never used, "not_supported" for what the
root user does not have). GetCredentialReport returns it base64-encoded on the wire (a blob).

IAM generates a report at most every four hours: GenerateCredentialReport within that time
answers COMPLETE and keeps the report; after four hours the report has expired.
"""

from __future__ import annotations

import csv
import io

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam.access_keys import KeyUsage
from regionbox.services.iam.models import User
from regionbox.services.iam.state import IamState

REPORT_LIFETIME = 4 * 3600
COLUMNS = ("user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
           "password_next_rotation", "mfa_active",
           "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
           "access_key_1_last_used_region", "access_key_1_last_used_service",
           "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
           "access_key_2_last_used_region", "access_key_2_last_used_service",
           "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated")


def _time(epoch: float | None, missing: str = "N/A") -> str:
    # ISO 8601 with the offset, as the report writes times: 2024-05-01T12:00:00+00:00
    return clock.from_epoch(epoch).replace(microsecond=0).isoformat() if epoch else missing


def _flag(value: bool) -> str:
    return "true" if value else "false"


class CredentialReport:
    def __init__(self, state: IamState, usage: KeyUsage, root_created: float) -> None:
        self.state = state
        self.usage = usage
        self.root_created = root_created

    def generate_credential_report(self, ctx: RequestContext, params: dict) -> dict:
        settings = self.state.account(ctx.global_scope)
        report = settings.credential_report
        if report is not None and clock.epoch() - report["generated"] < REPORT_LIFETIME:
            return {"State": "COMPLETE"}
        settings.credential_report = {"generated": clock.epoch(), "content": self._csv(ctx)}
        self.state.save_account(ctx.global_scope, settings)
        return {"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}

    def get_credential_report(self, ctx: RequestContext, params: dict) -> dict:
        report = self.state.account(ctx.global_scope).credential_report
        if report is None:
            raise ServiceError("ReportNotPresent", "Credential report not present. Call GenerateCredentialReport first.",
                               status=410)
        if clock.epoch() - report["generated"] >= REPORT_LIFETIME:
            raise ServiceError("ReportExpired", "Credential report has expired. Call GenerateCredentialReport to generate "
                               "a new one.", status=410)
        return {"Content": report["content"].encode(), "ReportFormat": "text/csv", "GeneratedTime": report["generated"]}

    def _csv(self, ctx: RequestContext) -> str:
        scope = ctx.global_scope
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        root = ["<root_account>", ctx.arn("iam", "root", regional=False), _time(self.root_created), "not_supported",
                "no_information", "not_supported", "not_supported", "false"]
        root += ["false", "N/A", "N/A", "N/A", "N/A"] * 2 + ["false", "N/A"] * 2
        writer.writerow(root)
        policy = self.state.account(scope).password_policy
        max_age = (policy or {}).get("MaxPasswordAge") or 0
        enabled_mfa = {d.user_name for d in self.state.mfa_devices.values(scope) if d.user_name}
        for user in sorted(self.state.users.values(scope), key=lambda u: u.name.lower()):
            writer.writerow(self._row(ctx, user, max_age, user.name in enabled_mfa))
        return out.getvalue()

    def _row(self, ctx: RequestContext, user: User, max_age: int, mfa: bool) -> list[str]:
        has_password = user.login_profile is not None
        changed = user.password_last_changed if has_password else None
        row = [user.name, user.arn, _time(user.create_date), _flag(has_password),
               _time(user.password_last_used, "no_information") if has_password else "N/A",
               _time(changed), _time(changed + max_age * 86400) if changed and max_age else "N/A", _flag(mfa)]
        keys = user.access_keys[:2]
        for index in range(2):
            if index >= len(keys):
                row += ["false", "N/A", "N/A", "N/A", "N/A"]
                continue
            key = keys[index]
            use = self.usage.last(ctx.account_id, key["AccessKeyId"])
            row += [_flag(key["Status"] == "Active"), _time(key["CreateDate"]),
                    _time(use.when if use else None), use.region if use else "N/A", use.service if use else "N/A"]
        certificates = user.signing_certificates[:2]
        for index in range(2):
            if index >= len(certificates):
                row += ["false", "N/A"]
            else:
                row += [_flag(certificates[index]["Status"] == "Active"), _time(certificates[index]["UploadDate"])]
        return row
