#!/usr/bin/env python3
"""Draw the SayType icons (standard library only).

Run from anywhere:  python3 icons/make_icons.py

The glyph: a rounded square with a microphone on the left and a text cursor
(an I-beam) on the right -- "say it, it is typed". Shapes are signed distance
functions in a unit square; each pixel is sampled once at its centre and, only
where an edge passes through it, supersampled on an SS x SS grid for
anti-aliasing. Output is always RGBA (PNG colour type 6), as Tauri requires.
The output is deterministic: running the script twice gives identical bytes.

Writes:
  icons/32x32.png, 128x128.png, 128x128@2x.png (256), icon.png (512)
  icons/icon.ico (PNG-compressed entries), icons/icon.icns (PNG entries)
  icons/tray-running.png, tray-paused.png, tray-error.png (64x64)
  ui/icon-192.png, ui/icon-512.png (for a later web-app manifest)
"""

import math
import os
import struct
import zlib

SS = 5  # supersampling grid per edge pixel (SS * SS samples)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# --------------------------------------------------------------------------
# PNG / ICO / ICNS writers
# --------------------------------------------------------------------------

def png_bytes(width, height, rgba_rows):
    """Encode rows of RGBA bytes (each `width * 4` long) as a PNG."""

    def chunk(tag, data):
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rgba_rows)  # filter type 0 per row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico_bytes(pngs):
    """An .ico whose entries are PNG streams (supported since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, data in pngs:
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns_bytes(pngs):
    """An .icns with PNG entries: ic07 128, ic08 256, ic09 512."""
    types = {128: b"ic07", 256: b"ic08", 512: b"ic09"}
    body = b"".join(
        types[size] + struct.pack(">I", len(data) + 8) + data
        for size, data in pngs
        if size in types
    )
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print("wrote", os.path.relpath(path, ROOT), len(data), "bytes")


# --------------------------------------------------------------------------
# Signed distance functions (unit square, y grows downwards; < 0 is inside)
# --------------------------------------------------------------------------

def sd_round_box(x, y, cx, cy, hw, hh, r):
    qx = abs(x - cx) - hw + r
    qy = abs(y - cy) - hh + r
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    inside = min(max(qx, qy), 0.0)
    return outside + inside - r


def sd_segment(x, y, ax, ay, bx, by, r):
    """A capsule: the segment a-b thickened by r, with round caps."""
    px, py = x - ax, y - ay
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, (px * dx + py * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - dx * t, py - dy * t) - r


def sd_lower_arc(x, y, cx, cy, radius, r):
    """The lower half of a ring (a U), stroke half-width r, round ends."""
    if y >= cy:
        return abs(math.hypot(x - cx, y - cy) - radius) - r
    return min(math.hypot(x - (cx - radius), y - cy), math.hypot(x - (cx + radius), y - cy)) - r


# --------------------------------------------------------------------------
# The glyph
# --------------------------------------------------------------------------

def hex_rgb(h):
    h = h.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))


def make_glyph(bold):
    """Shape functions for one style. `bold` thickens strokes for tiny sizes."""
    # Bold keeps the gaps open: thicker strokes, a slightly smaller head.
    stroke = 0.042 if bold else 0.034  # half-width of holder, stem, base, cursor
    head_hw, head_end = (0.09, 0.45) if bold else (0.095, 0.47)
    arc_r = 0.175 if bold else 0.165

    # Background: a rounded square with a small margin.
    def background(x, y):
        return sd_round_box(x, y, 0.5, 0.5, 0.44, 0.44, 0.2)

    # Microphone, left of centre.
    mx = 0.405 if bold else 0.415

    def mic(x, y):
        head = sd_segment(x, y, mx, 0.30, mx, head_end, head_hw)
        holder = sd_lower_arc(x, y, mx, 0.45, arc_r, stroke)
        stem = sd_segment(x, y, mx, 0.45 + arc_r, mx, 0.72, stroke)
        base = sd_segment(x, y, mx - 0.085, 0.72, mx + 0.085, 0.72, stroke)
        return min(head, holder, stem, base)

    # Text cursor (I-beam), right of the mic.
    cx = 0.74 if bold else 0.725
    serif = 0.045

    def cursor(x, y):
        bar = sd_segment(x, y, cx, 0.27, cx, 0.73, stroke)
        top = sd_segment(x, y, cx - serif, 0.27, cx + serif, 0.27, stroke)
        bottom = sd_segment(x, y, cx - serif, 0.73, cx + serif, 0.73, stroke)
        return min(bar, top, bottom)

    return background, mic, cursor


def coverage(sdf, px, py, n):
    """Fraction of pixel (px, py) of an n x n image inside `sdf`."""
    pix = 1.0 / n
    d = sdf((px + 0.5) * pix, (py + 0.5) * pix)
    if d > 0.75 * pix:  # farther than half a diagonal: no edge here
        return 0.0
    if d < -0.75 * pix:
        return 1.0
    hits = 0
    for j in range(SS):
        sy = (py + (j + 0.5) / SS) * pix
        for i in range(SS):
            if sdf((px + (i + 0.5) / SS) * pix, sy) < 0.0:
                hits += 1
    return hits / (SS * SS)


def render(n, top, bottom, glyph_rgb, accent_rgb, bold=False):
    """Render the icon at n x n. Colours are (r, g, b) floats in 0..1.

    `top`/`bottom` are the background gradient, `glyph_rgb` the microphone and
    `accent_rgb` the cursor.
    """
    background, mic, cursor = make_glyph(bold)
    rows = []
    for py in range(n):
        t = (py + 0.5) / n
        bg = tuple(top[k] + (bottom[k] - top[k]) * t for k in range(3))
        row = bytearray()
        for px in range(n):
            # Premultiplied "over" compositing, bottom layer first.
            r = g = b = a = 0.0
            for colour, cov in (
                (bg, coverage(background, px, py, n)),
                (glyph_rgb, coverage(mic, px, py, n)),
                (accent_rgb, coverage(cursor, px, py, n)),
            ):
                if cov <= 0.0:
                    continue
                r = colour[0] * cov + r * (1.0 - cov)
                g = colour[1] * cov + g * (1.0 - cov)
                b = colour[2] * cov + b * (1.0 - cov)
                a = cov + a * (1.0 - cov)
            if a > 0.0:
                row += bytes((
                    round(255 * r / a), round(255 * g / a), round(255 * b / a), round(255 * a),
                ))
            else:
                row += b"\x00\x00\x00\x00"
        rows.append(bytes(row))
    return png_bytes(n, n, rows)


# --------------------------------------------------------------------------
# Palettes
# --------------------------------------------------------------------------

WHITE = hex_rgb("#ffffff")

# The app icon: indigo gradient, white mic, warm amber cursor.
APP = dict(top=hex_rgb("#6d6af8"), bottom=hex_rgb("#4338ca"), glyph_rgb=WHITE,
           accent_rgb=hex_rgb("#fcd34d"))

# Tray states: same glyph, the background carries the state colour.
TRAY = {
    "running": dict(top=hex_rgb("#22c55e"), bottom=hex_rgb("#15803d"),
                    glyph_rgb=WHITE, accent_rgb=WHITE),
    "paused": dict(top=hex_rgb("#9ca3af"), bottom=hex_rgb("#4b5563"),
                   glyph_rgb=WHITE, accent_rgb=WHITE),
    "error": dict(top=hex_rgb("#f87171"), bottom=hex_rgb("#b91c1c"),
                  glyph_rgb=WHITE, accent_rgb=WHITE),
}


def main():
    icons = os.path.join(ROOT, "icons")
    ui = os.path.join(ROOT, "ui")

    app = {}
    for size in (16, 24, 32, 48, 64, 128, 192, 256, 512):
        app[size] = render(size, bold=size <= 48, **APP)

    write(os.path.join(icons, "32x32.png"), app[32])
    write(os.path.join(icons, "128x128.png"), app[128])
    write(os.path.join(icons, "128x128@2x.png"), app[256])
    write(os.path.join(icons, "icon.png"), app[512])
    write(os.path.join(icons, "icon.ico"), ico_bytes([(s, app[s]) for s in (16, 24, 32, 48, 64, 256)]))
    write(os.path.join(icons, "icon.icns"), icns_bytes([(s, app[s]) for s in (128, 256, 512)]))

    for state, palette in TRAY.items():
        write(os.path.join(icons, "tray-%s.png" % state), render(64, bold=True, **palette))

    write(os.path.join(ui, "icon-192.png"), app[192])
    write(os.path.join(ui, "icon-512.png"), app[512])


if __name__ == "__main__":
    main()
