"""A user's SSH public keys (UploadSSHPublicKey ... DeleteSSHPublicKey), for CodeCommit and
Transfer Family: RSA keys of 2048 bits and more, OpenSSH or PEM, fingerprinted as IAM shows them
(MD5, colon-separated; certificates.py); at most five per user."""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import certificates
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import User
from regionbox.services.iam.users import named_or_calling_user

KEYS_PER_USER = 5


def _shape(user: User, key: dict, encoding: str = "SSH") -> dict:
    body = key["SSHPublicKeyBody"] if encoding == "SSH" else key["Pem"]
    return {"UserName": user.name, "SSHPublicKeyId": key["SSHPublicKeyId"], "Fingerprint": key["Fingerprint"],
            "SSHPublicKeyBody": body, "Status": key["Status"], "UploadDate": key["UploadDate"]}


class SshPublicKeys:
    def __init__(self, users: Entities[User], listing: Listing) -> None:
        self.users = users
        self.listing = listing

    @staticmethod
    def _key(user: User, key_id: str) -> dict:
        for found in user.ssh_public_keys:
            if found["SSHPublicKeyId"] == key_id:
                return found
        raise ServiceError("NoSuchEntity", f"The Public Key with id {key_id} cannot be found.", status=404)

    def upload_ssh_public_key(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        key = certificates.ssh_public_key(params["SSHPublicKeyBody"])
        fingerprint = certificates.ssh_fingerprint(key)
        if any(k["Fingerprint"] == fingerprint for k in user.ssh_public_keys):
            raise ServiceError("DuplicateSSHPublicKey", "The SSH public key you provided already exists for this user.")
        if len(user.ssh_public_keys) >= KEYS_PER_USER:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for KeysPerUser: {KEYS_PER_USER}", status=409)
        openssh, pem = certificates.ssh_encodings(key)
        entry = {"SSHPublicKeyId": ids.upper_id("APKA", 16), "Fingerprint": fingerprint,
                 "SSHPublicKeyBody": params["SSHPublicKeyBody"].strip(), "Pem": pem, "Status": "Active",
                 "UploadDate": clock.epoch()}
        user.ssh_public_keys.append(entry)
        self.users.save(ctx, user)
        return {"SSHPublicKey": _shape(user, entry)}

    def get_ssh_public_key(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        return {"SSHPublicKey": _shape(user, self._key(user, params["SSHPublicKeyId"]), params["Encoding"])}

    def list_ssh_public_keys(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        return self.listing.page("SSHPublicKeys", user.ssh_public_keys, params, lambda k: {
            "UserName": user.name, "SSHPublicKeyId": k["SSHPublicKeyId"], "Status": k["Status"], "UploadDate": k["UploadDate"]})

    def update_ssh_public_key(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        self._key(user, params["SSHPublicKeyId"])["Status"] = params["Status"]
        self.users.save(ctx, user)
        return {}

    def delete_ssh_public_key(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        user.ssh_public_keys.remove(self._key(user, params["SSHPublicKeyId"]))
        self.users.save(ctx, user)
        return {}
