"""Virtual MFA devices: created with a TOTP seed (Base32) and the QR code PNG an authenticator
app scans, enabled for a user with two consecutive codes, resynchronized, deactivated, deleted.

Codes are RFC 6238 TOTP, as AWS's virtual devices use: HMAC-SHA1, 30-second steps, six digits.
Enabling and resynchronizing need two consecutive codes from the last ten minutes (an app's clock
may lag); a code, once accepted, is never accepted again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import struct
import time
from urllib.parse import quote

import segno

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import User, VirtualMfaDevice
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import checked_tags
from regionbox.services.iam.users import named_or_calling_user, user_shape

STEP = 30
DIGITS = 6
LOOKBACK_STEPS = 20  # ten minutes
MFA_DEVICES_PER_USER = 8
MFA_RESOURCE = "AWS::IAM::MFADevice"


def totp(seed: str, step: int) -> str:
    """The code of time step ``step`` (Unix time // 30) for a Base32 seed."""
    key = base64.b32decode(seed + "=" * (-len(seed) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def consecutive_step(seed: str, code1: str, code2: str, after: int) -> int | None:
    """The step of ``code2`` when ``code1`` and ``code2`` are the codes of two consecutive recent
    steps later than ``after``; else None."""
    now = int(time.time()) // STEP
    for step in range(now, now - LOOKBACK_STEPS, -1):
        if step - 1 > after and totp(seed, step - 1) == code1 and totp(seed, step) == code2:
            return step
    return None


def qr_code_png(uri: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=4)
    return buffer.getvalue()


def _invalid_codes() -> ServiceError:
    return ServiceError("InvalidAuthenticationCode", "Authentication code for device is not valid.", status=403)


class MfaDevices:
    def __init__(self, state: IamState, users: Entities[User], listing: Listing) -> None:
        self.devices = state.mfa_devices
        self.state = state
        self.users = users
        self.listing = listing

    def find(self, ctx: RequestContext, serial: str) -> VirtualMfaDevice:
        device = self.devices.get(ctx.global_scope, serial.rsplit("/", 1)[-1].lower())
        if device is None or device.serial != serial:
            raise ServiceError("NoSuchEntity", f"VirtualMFADevice with serial number {serial} doesn't exist.", status=404)
        return device

    def by_serial(self, ctx: RequestContext, params: dict) -> VirtualMfaDevice:
        return self.find(ctx, params["SerialNumber"])

    def save(self, ctx: RequestContext, device: VirtualMfaDevice) -> None:
        self.devices.put(ctx.global_scope, device.name.lower(), device)
        ctx.touched(MFA_RESOURCE, device.serial)

    def create_virtual_mfa_device(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["VirtualMFADeviceName"], params.get("Path") or "/"
        if (ctx.global_scope, name.lower()) in self.devices:
            raise ServiceError("EntityAlreadyExists", "MFADevice entity at the same path and name already exists.",
                               status=409)
        seed = base64.b32encode(secrets.token_bytes(40)).decode()
        device = VirtualMfaDevice(name=name, serial=ctx.arn("iam", f"mfa{path}{name}", regional=False), path=path,
                                  seed=seed, create_date=clock.epoch(), tags=checked_tags(params.get("Tags") or [], (), False))
        self.save(ctx, device)
        # What authenticator apps read: otpauth://totp/<device>@<account>?secret=<seed>
        uri = f"otpauth://totp/{quote(name)}@{ctx.account_id}?secret={seed}"
        shape = {"SerialNumber": device.serial, "Base32StringSeed": seed.encode(), "QRCodePNG": qr_code_png(uri)}
        if device.tags:
            shape["Tags"] = device.tags
        return {"VirtualMFADevice": shape}

    def enable_mfa_device(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        device = self.by_serial(ctx, params)
        if device.user_name is not None:
            raise ServiceError("EntityAlreadyExists", "MFA Device is already in use.", status=409)
        if sum(1 for d in self.devices.values(ctx.global_scope) if d.user_name == user.name) >= MFA_DEVICES_PER_USER:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for MFADevicesPerUser: {MFA_DEVICES_PER_USER}",
                               status=409)
        step = consecutive_step(device.seed, params["AuthenticationCode1"], params["AuthenticationCode2"], device.last_step)
        if step is None:
            raise _invalid_codes()
        device.user_name, device.enable_date, device.last_step = user.name, clock.epoch(), step
        self.save(ctx, device)
        return {}

    def resync_mfa_device(self, ctx: RequestContext, params: dict) -> dict:
        user = self.users.named(ctx, params)
        device = self._assigned(ctx, user, params["SerialNumber"])
        step = consecutive_step(device.seed, params["AuthenticationCode1"], params["AuthenticationCode2"], device.last_step)
        if step is None:
            raise _invalid_codes()
        device.last_step = step
        self.save(ctx, device)
        return {}

    def _assigned(self, ctx: RequestContext, user: User, serial: str) -> VirtualMfaDevice:
        device = self.find(ctx, serial)
        if device.user_name != user.name:
            raise ServiceError("NoSuchEntity", f"MFA Device with serial number {serial} does not exist for user "
                               f"{user.name}.", status=404)
        return device

    def deactivate_mfa_device(self, ctx: RequestContext, params: dict) -> dict:
        device = self.by_serial(ctx, params)
        if params.get("UserName") or device.user_name is None:
            user = named_or_calling_user(self.users, ctx, params)
        else:  # UserName may be left out: the device knows its user
            user = self.users.get(ctx, device.user_name)
        device = self._assigned(ctx, user, params["SerialNumber"])
        device.user_name, device.enable_date = None, None
        self.save(ctx, device)
        return {}

    def delete_virtual_mfa_device(self, ctx: RequestContext, params: dict) -> dict:
        device = self.by_serial(ctx, params)
        if device.user_name is not None:
            raise ServiceError("DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.", status=409)
        self.devices.delete(ctx.global_scope, device.name.lower())
        ctx.touched(MFA_RESOURCE, device.serial)
        return {}

    def get_mfa_device(self, ctx: RequestContext, params: dict) -> dict:
        device = self.by_serial(ctx, params)
        if device.user_name is None or (params.get("UserName") and params["UserName"].lower() != device.user_name.lower()):
            raise ServiceError("NoSuchEntity", f"MFA Device with serial number {device.serial} is not enabled.", status=404)
        return {"UserName": device.user_name, "SerialNumber": device.serial, "EnableDate": device.enable_date}

    def list_mfa_devices(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        devices = [d for d in self.devices.values(ctx.global_scope) if d.user_name == user.name]
        return self.listing.page("MFADevices", devices, params, lambda d: {
            "UserName": user.name, "SerialNumber": d.serial, "EnableDate": d.enable_date})

    def list_virtual_mfa_devices(self, ctx: RequestContext, params: dict) -> dict:
        status = params.get("AssignmentStatus") or "Any"
        devices = [d for d in self.devices.values(ctx.global_scope)
                   if status == "Any" or (d.user_name is not None) == (status == "Assigned")]
        return self.listing.page("VirtualMFADevices", devices, params, lambda d: self._listed(ctx, d))

    def _listed(self, ctx: RequestContext, device: VirtualMfaDevice) -> dict:
        shape: dict = {"SerialNumber": device.serial}
        user = self.users.find(ctx, device.user_name) if device.user_name else None
        if user is not None:
            shape["User"] = {k: v for k, v in user_shape(user).items() if k != "Tags"}
            shape["EnableDate"] = device.enable_date
        if device.tags:
            shape["Tags"] = device.tags
        return shape
