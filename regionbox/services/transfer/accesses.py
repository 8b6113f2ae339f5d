"""Accesses: on a server whose identity provider is AWS_DIRECTORY_SERVICE, what the members of
one directory group (named by its SID, ExternalId) get: a role, a home directory (PATH, or LOGICAL
with mappings), a session policy, a POSIX profile (CreateAccess, DescribeAccess, ListAccesses,
UpdateAccess, DeleteAccess), checked as users' are.

regionbox does not serve AWS Directory Service, so no one can be found in a group: an access is
kept and shown, but logins on such a server are refused naming the missing directory
(identity.py), as AWS refuses them when the directory cannot be reached.
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import Access
from regionbox.services.transfer.state import TransferState, exists, not_found
from regionbox.services.transfer.users import check_home, check_policy, update_login

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)


class Accesses:
    def __init__(self, state: TransferState, paginator: Paginator, iam) -> None:
        self.state = state
        self.paginator = paginator
        self.iam = iam  # () -> IamApi

    def _server(self, ctx: RequestContext, server_id: str):
        return self.state.server_for(ctx.scope, server_id, "AWS_DIRECTORY_SERVICE",
                                     "accesses are for servers with AWS_DIRECTORY_SERVICE")

    def _access(self, ctx: RequestContext, params: dict) -> Access:
        self._server(ctx, params["ServerId"])
        found = self.state.accesses.get(ctx.scope, f"{params['ServerId']}/{params['ExternalId']}")
        if found is None:
            raise not_found("Unknown access", params["ExternalId"], "Access")
        return found

    def create_access(self, ctx: RequestContext, params: dict) -> dict:
        server = self._server(ctx, params["ServerId"])
        key = f"{server.server_id}/{params['ExternalId']}"
        if (ctx.scope, key) in self.state.accesses:
            raise exists("Access already exists", params["ExternalId"], "Access")
        home_type = params.get("HomeDirectoryType") or "PATH"
        check_home(home_type, params.get("HomeDirectory") or "", params.get("HomeDirectoryMappings"))
        check_policy(self.iam(), params.get("Policy") or "")
        access = Access(server_id=server.server_id, external_id=params["ExternalId"], role=params["Role"],
                        home_directory=params.get("HomeDirectory") or "", home_directory_type=home_type,
                        mappings=list(params.get("HomeDirectoryMappings") or []), policy=params.get("Policy") or "",
                        posix_profile=params.get("PosixProfile"))
        self.state.accesses.put(ctx.scope, key, access)
        return {"ServerId": server.server_id, "ExternalId": access.external_id}

    def describe_access(self, ctx: RequestContext, params: dict) -> dict:
        a = self._access(ctx, params)
        shown = {"ExternalId": a.external_id, "Role": a.role, "HomeDirectoryType": a.home_directory_type}
        optional = {"HomeDirectory": a.home_directory, "HomeDirectoryMappings": a.mappings, "Policy": a.policy,
                    "PosixProfile": a.posix_profile}
        shown.update({k: v for k, v in optional.items() if v})
        return {"ServerId": a.server_id, "Access": shown}

    def list_accesses(self, ctx: RequestContext, params: dict) -> dict:
        server = self._server(ctx, params["ServerId"])
        mine = [a for a in self.state.accesses.values(ctx.scope) if a.server_id == server.server_id]
        page, token = self.paginator.paginate(mine, params, RULE, query=server.server_id)
        listed = [{"ExternalId": a.external_id, "Role": a.role, "HomeDirectoryType": a.home_directory_type,
                   **({"HomeDirectory": a.home_directory} if a.home_directory else {})} for a in page]
        return {"ServerId": server.server_id, "Accesses": listed, **({"NextToken": token} if token else {})}

    def update_access(self, ctx: RequestContext, params: dict) -> dict:
        access = self._access(ctx, params)
        update_login(access, params, self.iam())
        self.state.accesses.put(ctx.scope, f"{access.server_id}/{access.external_id}", access)
        return {"ServerId": access.server_id, "ExternalId": access.external_id}

    def delete_access(self, ctx: RequestContext, params: dict) -> dict:
        access = self._access(ctx, params)
        self.state.accesses.delete(ctx.scope, f"{access.server_id}/{access.external_id}")
        return {}
