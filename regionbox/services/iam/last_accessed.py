"""Service last accessed details (GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails,
GetServiceLastAccessedDetailsWithEntities), built from the audit trail: for a user, role, group or
policy, each service its policies allow, and when it was last called by the entity (or, for a
group or a policy, by any user or role they apply to), from which region, and at ACTION_LEVEL
which actions. The report is computed when the job is created, so the job is COMPLETED at once.
"""

from __future__ import annotations

import json
from typing import Callable

from regionbox.core import clock, ids
from regionbox.core.arns import Arn
from regionbox.core.audit import AuditTrail
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.protocol.specs import model_for_signing_name
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import LastAccessedJob
from regionbox.services.iam.state import IamState


def service_name(namespace: str) -> str:
    """AWS's name of a service namespace ("Amazon DynamoDB"), from its botocore model when there is one."""
    model = model_for_signing_name(namespace)
    return model.metadata.get("serviceFullName", namespace) if model is not None else namespace


def _namespaces(documents: list[str], every: Callable[[], set[str]]) -> set[str]:
    """The service namespaces the actions of some policies name ("*" and "*:..." name all)."""
    found: set[str] = set()
    for document in documents:
        statements = json.loads(document).get("Statement")
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", statement.get("NotAction", []))
            for action in actions if isinstance(actions, list) else [actions]:
                prefix = str(action).split(":", 1)[0].lower()
                found |= every() if "*" in prefix or "NotAction" in statement else {prefix}
    return found


class LastAccessed:
    def __init__(self, state: IamState, audit: AuditTrail, documents: Callable[[str, str], str | None],
                 served: Callable[[], set[str]], listing: Listing) -> None:
        self.state = state
        self.audit = audit
        self.documents = documents  # (account, policy ARN) -> default version's document
        self.served = served  # the namespaces of the services regionbox serves
        self.listing = listing

    def _subject(self, ctx: RequestContext, arn: str) -> tuple[list, list[str]]:
        """(the users and roles the ARN's entity stands for, its policy documents)."""
        try:
            parsed = Arn.parse(arn)
        except ValueError:
            raise ServiceError("InvalidInput", f"ARN {arn} is not valid.") from None
        kind, _, rest = parsed.resource.partition("/")
        scope = ctx.global_scope
        collections = {"user": self.state.users, "role": self.state.roles, "group": self.state.groups,
                       "policy": self.state.policies}
        if parsed.service != "iam" or kind not in collections or parsed.account not in (ctx.account_id, "aws"):
            raise ServiceError("InvalidInput", f"ARN {arn} is not valid.")
        if kind == "policy":
            document = self.documents(ctx.account_id, arn)
            if document is None:
                raise ServiceError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", status=404)
            holders = [e for c in (self.state.users, self.state.roles, self.state.groups) for e in c.values(scope)
                       if arn in e.attached_policies]
            return self._members(ctx, holders), [document]
        entity = collections[kind].get(scope, rest.rsplit("/", 1)[-1].lower())
        if entity is None or entity.arn != arn:
            raise ServiceError("NoSuchEntity", f"The {kind} with name {rest.rsplit('/', 1)[-1]} cannot be found.", status=404)
        holders = [entity]
        if kind == "user":
            holders += self.state.groups_of(scope, entity.name)
        documents = [d for h in holders for d in h.inline_policies.values()]
        documents += [d for h in holders for a in h.attached_policies if (d := self.documents(ctx.account_id, a))]
        return self._members(ctx, [entity]), documents

    def _members(self, ctx: RequestContext, holders: list) -> list:
        principals = []
        for holder in holders:
            if holder.arn.split(":", 5)[5].startswith("group/"):
                principals += [u for n in holder.members if (u := self.state.users.get(ctx.global_scope, n.lower()))]
            else:
                principals.append(holder)
        return principals

    def generate_service_last_accessed_details(self, ctx: RequestContext, params: dict) -> dict:
        granularity = params.get("Granularity") or "SERVICE_LEVEL"
        principals, documents = self._subject(ctx, params["Arn"])
        by_arn = {p.arn: p for p in principals}
        allowed = _namespaces(documents, self.served)
        last: dict[str, dict] = {}
        entities: dict[str, dict[str, dict]] = {}
        actions: dict[str, dict[str, dict]] = {}
        for when, region, source, name, identity in self.audit.calls(ctx.account_id):
            who = (identity.get("sessionContext") or {}).get("sessionIssuer", {}).get("arn") or identity.get("arn")
            if who not in by_arn:
                continue
            namespace = source.split(".", 1)[0]
            last[namespace] = {"LastAuthenticated": when, "LastAuthenticatedEntity": who, "LastAuthenticatedRegion": region}
            entities.setdefault(namespace, {})[who] = {"when": when}
            actions.setdefault(namespace, {})[name] = {"ActionName": name, "LastAccessedEntity": who,
                                                       "LastAccessedTime": when, "LastAccessedRegion": region}
        services = []
        for namespace in sorted(allowed | set(last)):
            entry = {"ServiceName": service_name(namespace), "ServiceNamespace": namespace,
                     "TotalAuthenticatedEntities": len(entities.get(namespace, {}))}
            entry.update(last.get(namespace, {}))
            if granularity == "ACTION_LEVEL":
                entry["TrackedActionsLastAccessed"] = sorted(actions.get(namespace, {}).values(), key=lambda a: a["ActionName"])
            services.append(entry)
        details = {namespace: [self._entity_detail(by_arn[arn], seen["when"]) for arn, seen in found.items()]
                   for namespace, found in entities.items()}
        job = LastAccessedJob(job_id=ids.request_id(), arn=params["Arn"], granularity=granularity, created=clock.epoch(),
                              services=services, entities=details)
        self.state.last_accessed_jobs.put(ctx.global_scope, job.job_id, job)
        return {"JobId": job.job_id}

    @staticmethod
    def _entity_detail(entity, when: float) -> dict:
        kind, _, rest = entity.arn.split(":", 5)[5].partition("/")
        id_of = getattr(entity, "user_id", None) or getattr(entity, "role_id", "")
        return {"EntityInfo": {"Arn": entity.arn, "Name": entity.name, "Type": kind.upper(), "Id": id_of,
                               "Path": entity.path}, "LastAuthenticated": when}

    def _job(self, ctx: RequestContext, job_id: str) -> LastAccessedJob:
        job = self.state.last_accessed_jobs.get(ctx.global_scope, job_id)
        if job is None:
            raise ServiceError("NoSuchEntity", f"No job exists with the job ID {job_id}.", status=404)
        return job

    def get_service_last_accessed_details(self, ctx: RequestContext, params: dict) -> dict:
        job = self._job(ctx, params["JobId"])
        page = self.listing.page("ServicesLastAccessed", job.services, params)
        return {"JobStatus": "COMPLETED", "JobType": job.granularity, "JobCreationDate": job.created,
                "JobCompletionDate": job.created, **page}

    def get_service_last_accessed_details_with_entities(self, ctx: RequestContext, params: dict) -> dict:
        job = self._job(ctx, params["JobId"])
        found = sorted(job.entities.get(params["ServiceNamespace"], []), key=lambda e: -e["LastAuthenticated"])
        page = self.listing.page("EntityDetailsList", found, params)
        return {"JobStatus": "COMPLETED", "JobCreationDate": job.created, "JobCompletionDate": job.created, **page}
