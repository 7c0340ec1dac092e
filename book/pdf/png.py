"""PNG images into the PDF without re-encoding them.

WeasyPrint 70 decodes every PNG and encodes it again with Pillow only to take the IDAT
chunks of the result, which the PDF stores with the PNG predictors (FlateDecode,
/Predictor 15). For an 8-bit, non-interlaced RGB or grey PNG without transparency, the
IDAT chunks of the file itself are exactly that data: passing them through gives the same
pixels and saves about a tenth of a second per photograph (a sixth of a large book's
layout time). Any other PNG goes through WeasyPrint's own path. weasy.py installs it."""

from __future__ import annotations

import struct

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MODES = {0: "L", 2: "RGB"}  # PNG colour type → the Pillow mode WeasyPrint then declares


def idat(data: bytes, mode: str) -> bytes | None:
    """The file's IDAT data when the PDF can take it as it is, else None."""
    if not data.startswith(_SIGNATURE):
        return None
    chunks, position = [], len(_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            _, _, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
            if (depth, compression, filtering, interlace) != (8, 0, 0, 0) \
                    or _MODES.get(colour) != mode:
                return None
        elif kind == b"tRNS":  # transparency: WeasyPrint makes a mask of it
            return None
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            return b"".join(chunks) or None
        position += 12 + length
    return None

