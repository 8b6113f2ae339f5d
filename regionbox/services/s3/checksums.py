"""The checksums S3 computes, stores and returns: CRC32, CRC32C, CRC64NVME, SHA1, SHA256
(x-amz-checksum-<name>, base64 of the big-endian digest), and the object's ETag (MD5).

Multipart objects carry a checksum of the part checksums (COMPOSITE: "<b64>-<parts>") for
SHA and CRC32/CRC32C unless FULL_OBJECT was asked for; CRC64NVME is always FULL_OBJECT, which for a
CRC is the CRC of the whole object, combined from the parts' CRCs and sizes.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from functools import lru_cache

from awscrt import checksums as crt

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
# Members of S3's shapes by algorithm: ChecksumCRC32 ...
MEMBERS = {name: f"Checksum{name}" for name in ALGORITHMS}
_CRC_WIDTH = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8}
_CRC_FUNCTIONS = {"CRC32": zlib.crc32, "CRC32C": crt.crc32c, "CRC64NVME": crt.crc64nvme}


class Checksum:
    """One running checksum of a body."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._crc = _CRC_FUNCTIONS.get(algorithm)
        self._value = 0
        self._hash = None if self._crc else hashlib.new(algorithm.lower())

    def update(self, data: bytes) -> None:
        if self._crc is not None:
            self._value = self._crc(data, self._value)
        else:
            self._hash.update(data)

    def digest(self) -> bytes:
        if self._crc is not None:
            return self._value.to_bytes(_CRC_WIDTH[self.algorithm], "big")
        return self._hash.digest()

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode()


def composite(algorithm: str, part_checksums: list[str]) -> str:
    """COMPOSITE checksum of a multipart object: the checksum of the parts' binary checksums, "-N"."""
    checksum = Checksum(algorithm)
    for text in part_checksums:
        checksum.update(base64.b64decode(text))
    return f"{checksum.b64()}-{len(part_checksums)}"


def full_object_crc(algorithm: str, parts: list[tuple[str, int]]) -> str:
    """FULL_OBJECT CRC of the concatenated parts from each part's (b64 CRC, size), without reading them."""
    width = _CRC_WIDTH[algorithm] * 8
    combined = None
    for text, size in parts:
        value = int.from_bytes(base64.b64decode(text), "big")
        combined = value if combined is None else _apply(_zeros_operator(algorithm, size), combined) ^ value
    return base64.b64encode((combined or 0).to_bytes(width // 8, "big")).decode()


# Reflected polynomials: CRCs with all-ones init and final xor, so crc(A + B) = Z(len B)(crc A) xor crc B,
# where Z(n) is the linear map "append n zero bytes" over GF(2) (zlib's crc32_combine, any width).
_POLYNOMIALS = {"CRC32": 0xEDB88320, "CRC32C": 0x82F63B78, "CRC64NVME": 0x9A6C9329AC4BC9B5}


def _apply(matrix: tuple[int, ...], vector: int) -> int:
    result, row = 0, 0
    while vector:
        if vector & 1:
            result ^= matrix[row]
        vector >>= 1
        row += 1
    return result


def _compose(outer: tuple[int, ...], inner: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(_apply(outer, column) for column in inner)


@lru_cache(maxsize=64)
def _zeros_operator(algorithm: str, length: int) -> tuple[int, ...]:
    """Z(length): parts are mostly of one size, so each size is worked out once (~50 ms)."""
    width = _CRC_WIDTH[algorithm] * 8
    one_bit = (_POLYNOMIALS[algorithm],) + tuple(1 << n for n in range(width - 1))
    step = one_bit
    for _ in range(3):  # one zero byte = eight zero bits
        step = _compose(step, step)
    result = tuple(1 << n for n in range(width))  # identity
    while length:
        if length & 1:
            result = _compose(step, result)
        length >>= 1
        if length:
            step = _compose(step, step)
    return result


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etag(part_etags: list[str]) -> str:
    """md5 of the parts' binary MD5s, "-N": what S3 answers for a multipart object."""
    digest = hashlib.md5(b"".join(bytes.fromhex(etag.strip('"')) for etag in part_etags)).hexdigest()
    return f'"{digest}-{len(part_etags)}"'
