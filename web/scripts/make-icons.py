#!/usr/bin/env python3
"""Draws the app icons (static/icons/icon-*.png): a white speech bubble on the accent colour.
Standard library only; run from web/: python3 scripts/make-icons.py"""
import struct
import zlib

ACCENT = (71, 82, 196)
WHITE = (255, 255, 255)


def inside(x, y):
    """The bubble, in a 0..1 square: an ellipse with a tail at the bottom left."""
    ex, ey, rx, ry = 0.5, 0.45, 0.30, 0.23
    if ((x - ex) / rx) ** 2 + ((y - ey) / ry) ** 2 <= 1:
        return True
    # Tail: a triangle below the ellipse.
    ax, ay, bx, by, cx, cy = 0.32, 0.58, 0.46, 0.64, 0.27, 0.78
    d = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
    l1 = ((by - cy) * (x - cx) + (cx - bx) * (y - cy)) / d
    l2 = ((cy - ay) * (x - cx) + (ax - cx) * (y - cy)) / d
    return l1 >= 0 and l2 >= 0 and 1 - l1 - l2 >= 0


def png(size, maskable):
    rows = []
    samples = 4
    scale = 0.8 if maskable else 1.0  # maskable icons keep a safe zone
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            hits = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    x = 0.5 + (x - 0.5) / scale
                    y = 0.5 + (y - 0.5) / scale
                    hits += inside(x, y)
            a = hits / samples**2
            row += bytes(round(ACCENT[i] * (1 - a) + WHITE[i] * a) for i in range(3))
        rows.append(bytes(row))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


for size in (192, 512):
    with open(f"static/icons/icon-{size}.png", "wb") as f:
        f.write(png(size, False))
with open("static/icons/maskable-512.png", "wb") as f:
    f.write(png(512, True))
