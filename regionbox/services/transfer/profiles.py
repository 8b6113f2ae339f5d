"""AS2 profiles: who is who in an AS2 exchange (CreateProfile, DescribeProfile, ListProfiles,
UpdateProfile, DeleteProfile). A LOCAL profile is us, a PARTNER profile the trading partner; each
names its AS2 id and the certificates (imported with ImportCertificate) it signs and encrypts
with. A profile an agreement uses cannot be deleted."""

from __future__ import annotations

import secrets

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import Profile
from regionbox.services.transfer.state import TransferState, bad_request

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)


class Profiles:
    def __init__(self, state: TransferState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _certificates(self, ctx: RequestContext, ids: list[str]) -> list[str]:
        for certificate_id in ids:
            self.state.certificate(ctx.scope, certificate_id)
        return list(dict.fromkeys(ids))

    def create_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile_id = f"p-{secrets.token_hex(9)[:17]}"
        profile = Profile(profile_id=profile_id, arn=ctx.arn("transfer", f"profile/{profile_id}"), as2_id=params["As2Id"],
                          profile_type=params["ProfileType"],
                          certificate_ids=self._certificates(ctx, params.get("CertificateIds") or []),
                          tags=list(params.get("Tags") or []))
        self.state.profiles.put(ctx.scope, profile_id, profile)
        ctx.touched("AWS::Transfer::Profile", profile_id)
        return {"ProfileId": profile_id}

    def describe_profile(self, ctx: RequestContext, params: dict) -> dict:
        p = self.state.profile(ctx.scope, params["ProfileId"])
        return {"Profile": {"Arn": p.arn, "ProfileId": p.profile_id, "ProfileType": p.profile_type, "As2Id": p.as2_id,
                            "CertificateIds": p.certificate_ids, "Tags": p.tags}}

    def list_profiles(self, ctx: RequestContext, params: dict) -> dict:
        wanted = params.get("ProfileType")
        profiles = [p for p in self.state.profiles.values(ctx.scope) if wanted in (None, p.profile_type)]
        page, token = self.paginator.paginate(profiles, params, RULE, query=wanted)
        return {"Profiles": [{"Arn": p.arn, "ProfileId": p.profile_id, "As2Id": p.as2_id, "ProfileType": p.profile_type}
                             for p in page], **({"NextToken": token} if token else {})}

    def update_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile = self.state.profile(ctx.scope, params["ProfileId"])
        if "CertificateIds" in params:
            profile.certificate_ids = self._certificates(ctx, params["CertificateIds"])
        self.state.profiles.put(ctx.scope, profile.profile_id, profile)
        return {"ProfileId": profile.profile_id}

    def delete_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile = self.state.profile(ctx.scope, params["ProfileId"])
        used = [a.agreement_id for a in self.state.agreements.values(ctx.scope)
                if profile.profile_id in (a.local_profile_id, a.partner_profile_id)]
        if used:
            raise bad_request(f"Profile {profile.profile_id} is used by agreement {used[0]}: delete the agreement first")
        self.state.profiles.delete(ctx.scope, profile.profile_id)
        ctx.touched("AWS::Transfer::Profile", profile.profile_id)
        return {}
