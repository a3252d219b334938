"""[MS-OVBA] 2.4.1 compression: how a VBA project stores its ``dir`` stream and module source.

:func:`compress` writes a CompressedContainer and :func:`decompress` reads one; the tests check
both against the specification's worked example and against oletools' own decompressor.
"""

from __future__ import annotations

import struct

__all__ = ["CHUNK_SIZE", "compress", "decompress"]

CHUNK_SIZE = 4096


def _copy_token_layout(difference: int) -> tuple[int, int]:
    """Return (bit count of the offset, maximum length) for a copy token ([MS-OVBA] 2.4.1.3.19.1).

    ``difference`` is how far into the decompressed chunk the token starts.
    """
    bit_count = max((difference - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compress ``data[start:end]`` (at most 4096 bytes) into chunk data, without its header.

    At each token, looks for the longest earlier match of at least 3 bytes inside the chunk
    ([MS-OVBA] 2.4.1.3.9), the nearest one when several are equally long. It looks
    only at positions where earlier tokens started (kept by their first three bytes), which
    reproduces the spec's worked example (section 3.2) byte for byte.
    """
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    current = start

    def remember(position: int) -> None:
        if position + 3 <= end:
            heads.setdefault(data[position : position + 3], []).append(position)

    while current < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if current >= end:
                break
            _, max_length = _copy_token_layout(current - start)
            best_length, best_offset = 0, 0
            for candidate in reversed(heads.get(data[current : current + 3], ())):
                length = 0
                limit = min(max_length, end - current)
                while length < limit and data[candidate + length] == data[current + length]:
                    length += 1
                if length > best_length:
                    best_length, best_offset = length, current - candidate
                    if length == limit:
                        break
            remember(current)
            if best_length >= 3:
                bit_count, _ = _copy_token_layout(current - start)
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                current += best_length
            else:
                out.append(data[current])
                current += 1
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an [MS-OVBA] CompressedContainer (signature byte, then chunks).

    Every 4096 bytes form one chunk. A chunk whose compressed form would not fit in 4096 bytes
    is stored raw, as the spec requires; a raw chunk always holds 4096 bytes, so an
    incompressible *last* chunk is padded with zero bytes (VBA source text never is).
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK_SIZE):
        end = min(start + CHUNK_SIZE, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) <= CHUNK_SIZE:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3))
            out += body
        else:
            out += struct.pack("<H", 0x3000 | (CHUNK_SIZE + 2 - 3))
            out += data[start:end].ljust(CHUNK_SIZE, b"\x00")
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an [MS-OVBA] CompressedContainer (the inverse of :func:`compress`)."""
    if not container or container[0] != 0x01:
        raise ValueError("not an MS-OVBA compressed container (signature byte must be 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {pos}")
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(container))
        pos += 2
        if not header & 0x8000:
            out += container[pos : pos + CHUNK_SIZE]
            pos += CHUNK_SIZE
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if flags & (1 << bit):
                    (token,) = struct.unpack_from("<H", container, pos)
                    pos += 2
                    bit_count, _ = _copy_token_layout(len(out) - chunk_start)
                    length = (token & (0xFFFF >> bit_count)) + 3
                    offset = (token >> (16 - bit_count)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(container[pos])
                    pos += 1
    return bytes(out)
