"""Tags of servers, users, workflows, host keys, connectors, certificates, profiles and agreements,
by ARN (TagResource, UntagResource, ListTagsForResource). A key tagged again takes the new value;
at most 50 tags a resource."""

from __future__ import annotations

from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.state import TransferState, bad_request, not_found, user_key

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)
MAX_TAGS = 50


class Tags:
    def __init__(self, state: TransferState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _resource(self, ctx: RequestContext, text: str):
        """(the document holding the tags, the object with .tags, how to save)"""
        try:
            arn = Arn.parse(text)
        except ValueError:
            raise bad_request(f"Invalid ARN {text}") from None
        if arn.service != "transfer" or (arn.account, arn.region) != ctx.scope:
            raise not_found("Unknown resource", text, "Resource")
        kind, _, rest = arn.resource.partition("/")
        parts = rest.split("/")
        scope = ctx.scope
        if kind == "server" and len(parts) == 1:
            server = self.state.server(scope, parts[0])
            return server, lambda: self.state.servers.put(scope, server.server_id, server)
        if kind == "user" and len(parts) == 2:
            user = self.state.users.get(scope, user_key(parts[0], parts[1]))
            if user is None:
                raise not_found("Unknown user", parts[1], "User")
            return user, lambda: self.state.save_user(scope, user)
        if kind == "workflow" and len(parts) == 1:
            workflow = self.state.workflow(scope, parts[0])
            return workflow, lambda: self.state.workflows.put(scope, workflow.workflow_id, workflow)
        if kind == "connector" and len(parts) == 1:
            connector = self.state.connector(scope, parts[0])
            return connector, lambda: self.state.connectors.put(scope, connector.connector_id, connector)
        if kind in ("certificate", "profile") and len(parts) == 1:
            collection = self.state.certificates if kind == "certificate" else self.state.profiles
            found = self.state.certificate(scope, parts[0]) if kind == "certificate" else self.state.profile(scope, parts[0])
            return found, lambda: collection.put(scope, parts[0], found)
        if kind == "agreement" and len(parts) == 2:
            agreement = self.state.agreement(scope, parts[0], parts[1])
            return agreement, lambda: self.state.agreements.put(scope, f"{parts[0]}/{parts[1]}", agreement)
        if kind == "host-key" and len(parts) == 2:
            server = self.state.server(scope, parts[0])
            key = next((k for k in server.host_keys if k.host_key_id == parts[1]), None)
            if key is None:
                raise not_found("Unknown host key", parts[1], "HostKey")
            return key, lambda: self.state.servers.put(scope, server.server_id, server)
        raise not_found("Unknown resource", text, "Resource")

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        holder, save = self._resource(ctx, params["Arn"])
        tags = {t["Key"]: t["Value"] for t in holder.tags}
        tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        if len(tags) > MAX_TAGS:
            raise bad_request(f"A resource can have at most {MAX_TAGS} tags")
        holder.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        save()
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        holder, save = self._resource(ctx, params["Arn"])
        gone = set(params["TagKeys"])
        holder.tags = [t for t in holder.tags if t["Key"] not in gone]
        save()
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        holder, _ = self._resource(ctx, params["Arn"])
        page, token = self.paginator.paginate(holder.tags, params, RULE, query=params["Arn"])
        return {"Arn": params["Arn"], "Tags": page, **({"NextToken": token} if token else {})}
