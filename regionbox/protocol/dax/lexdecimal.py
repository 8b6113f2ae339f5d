"""Numbers as DAX packs a numeric range key: bytes whose order is the numbers' order.

A header byte carries the sign and the decimal exponent (five bytes when the exponent is far
from zero); then the digits in base 1000, ten bits each (digit + 12 when positive, 1011 - digit
when negative, so that byte order follows numeric order), closed by a terminator (0..2 for
positive numbers, 1023 - t for negative ones) that says how many zeros padded the last group.
Zero is the single byte 0x80.
"""

from __future__ import annotations

from decimal import Decimal

_PADDING_OF = {1: 0, 2: 1, 0: 2}  # digits % 3 -> terminator


class LexDecimalError(ValueError):
    pass


def encode(number: Decimal) -> bytes:
    if number == 0:
        return b"\x80"
    sign, digits, exp = number.as_tuple()
    precision = len(digits)
    exponent = precision + exp
    text = "".join(map(str, digits))
    terminator = _PADDING_OF[precision % 3]
    text += "0" * (-len(text) % 3)
    groups = [int(text[i:i + 3]) for i in range(0, len(text), 3)]
    out = bytearray()
    if not sign:
        if -0x3e <= exponent < 0x3e:
            out.append(exponent + 0xC0)
        else:
            out.append(0x81 if exponent < 0 else 0xFE)
            out += ((exponent & 0xFFFFFFFF) ^ 0x80000000).to_bytes(4, "big")
        tens = [g + 12 for g in groups] + [terminator]
    else:
        if -0x3e <= exponent < 0x3e:
            out.append(0x3F - exponent)
        else:
            out.append(0x7E if exponent < 0 else 0x01)
            out += ((exponent & 0xFFFFFFFF) ^ 0x7FFFFFFF).to_bytes(4, "big")
        tens = [1011 - g for g in groups] + [1023 - terminator]
    accumulator, bits = 0, 0
    for ten in tens:
        accumulator = (accumulator << 10) | ten
        bits += 10
        while bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if bits:
        out.append((accumulator << (8 - bits)) & 0xFF)
    return bytes(out)


def decode(data: bytes) -> Decimal:
    if not data:
        raise LexDecimalError("empty number")
    head = data[0]
    if head == 0x80:
        return Decimal(0)
    negative = head < 0x80
    offset = 1
    if head in (0x81, 0xFE, 0x7E, 0x01):
        if len(data) < 5:
            raise LexDecimalError("truncated exponent")
        raw = int.from_bytes(data[1:5], "big") ^ (0x7FFFFFFF if negative else 0x80000000)
        exponent = raw - (1 << 32) if raw & 0x80000000 else raw
        offset = 5
    else:
        exponent = 0x3F - head if negative else head - 0xC0
    digits = ""
    accumulator, bits = 0, 0
    for byte in data[offset:]:
        accumulator = (accumulator << 8) | byte
        bits += 8
        while bits >= 10:
            bits -= 10
            ten = (accumulator >> bits) & 0x3FF
            accumulator &= (1 << bits) - 1
            if negative:
                if ten > 1011:
                    return _finish(True, digits, 1023 - ten, exponent)
                digits += f"{1011 - ten:03d}"
            else:
                if ten < 12:
                    return _finish(False, digits, ten, exponent)
                digits += f"{ten - 12:03d}"
    raise LexDecimalError("no terminator")


def _finish(negative: bool, digits: str, terminator: int, exponent: int) -> Decimal:
    if terminator > 2 or not digits:
        raise LexDecimalError("bad terminator")
    digits = digits[:len(digits) - (2 - terminator)]
    return Decimal((1 if negative else 0, tuple(int(d) for d in digits), exponent - len(digits)))
