#!/usr/bin/env bash
# Renders a knot report (HTML) in headless Chromium and checks it: every plot kind the report lists in its
# <meta name="knot-plots"> (plus any given with --expect) is in the rendered DOM as an <svg data-plot="...">, and
# the screenshot is not blank (decoded here: share of non-background pixels and number of distinct colours).
#
#   scripts/check-report.sh REPORT.html [--expect line,bars,...] [--screenshot OUT.png] [--width 1300] [--height 2400] [--crop]
#
# --crop trims the screenshot's empty bottom and re-encodes it compactly (for docs/). Installs Debian's chromium
# when it is missing (needs root or sudo); fails loudly, never skips, when it cannot.
set -euo pipefail

html="" expect="" shot="" width=1300 height=2400 crop=0
while [ $# -gt 0 ]; do
  case "$1" in
    --expect) expect="$2"; shift 2 ;;
    --screenshot) shot="$2"; shift 2 ;;
    --width) width="$2"; shift 2 ;;
    --height) height="$2"; shift 2 ;;
    --crop) crop=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "check-report: unknown option $1" >&2; exit 2 ;;
    *) html="$1"; shift ;;
  esac
done
[ -n "$html" ] || { echo "usage: scripts/check-report.sh REPORT.html [--expect kinds] [--screenshot OUT.png] [--crop]" >&2; exit 2; }
[ -f "$html" ] || { echo "check-report: $html: no such file" >&2; exit 2; }
command -v python3 >/dev/null || { echo "check-report: python3 is required to decode the screenshot" >&2; exit 1; }

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "check-report: chromium not found; installing Debian's chromium" >&2
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium; } >/dev/null 2>&1 || true
  browser="$(command -v chromium || true)"
  [ -n "$browser" ] || { echo "check-report: FAILED: chromium could not be installed (apt-get install -y chromium)" >&2; exit 1; }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" --no-first-run --no-default-browser-check)

# 1. Every expected plot is in the rendered DOM.
timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" > "$work/dom.html" 2>"$work/chromium-dom.log" \
  || { cat "$work/chromium-dom.log" >&2; echo "check-report: FAILED: chromium --dump-dom failed" >&2; exit 1; }
listed="$(sed -nE 's/.*<meta name="knot-plots" content="([^"]*)".*/\1/p' "$html" | head -1)"
kinds="$(printf '%s,%s' "$listed" "$expect" | tr ',' '\n' | sed '/^$/d' | sort -u)"
[ -n "$kinds" ] || { echo "check-report: FAILED: $html lists no plots (meta knot-plots) and none were given with --expect" >&2; exit 1; }
missing=0
for k in $kinds; do
  n=$(grep -o "data-plot=\"$k\"" "$work/dom.html" | wc -l)
  if [ "$n" -lt 1 ]; then echo "check-report: FAILED: no data-plot=\"$k\" in the rendered page" >&2; missing=1
  else echo "check-report: plot $k: $n rendered"; fi
done
[ "$missing" -eq 0 ] || exit 1

# 2. The screenshot is not blank.
png="${shot:-$work/shot.png}"
mkdir -p "$(dirname "$png")"
timeout 120 "$browser" "${flags[@]}" --screenshot="$png" --window-size="$width,$height" "$url" >"$work/chromium-shot.log" 2>&1 \
  || { cat "$work/chromium-shot.log" >&2; echo "check-report: FAILED: chromium --screenshot failed" >&2; exit 1; }
[ -s "$png" ] || { echo "check-report: FAILED: no screenshot written" >&2; exit 1; }

python3 - "$png" "$crop" <<'PY'
import struct, sys, zlib

path, crop = sys.argv[1], sys.argv[2] == "1"
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"check-report: FAILED: {path} is not a PNG")
pos, idat, ihdr = 8, [], None
while pos < len(data):
    length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if ctype == b"IHDR": ihdr = body
    elif ctype == b"IDAT": idat.append(body)
    pos += 12 + length
width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
if depth != 8 or colour not in (2, 6) or interlace:
    sys.exit(f"check-report: FAILED: unexpected PNG layout (depth {depth}, colour type {colour}, interlace {interlace})")
bpp = 3 if colour == 2 else 4
raw = zlib.decompress(b"".join(idat))
stride = width * bpp
rows, prev = [], bytearray(stride)
try:
    import numpy as np
except ImportError:
    np = None
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        for i in range(bpp, stride): line[i] = (line[i] + line[i - bpp]) & 255
    elif f == 2:
        if np is not None: line = bytearray(((np.frombuffer(line, np.uint8).astype(np.uint16) + np.frombuffer(prev, np.uint8)) & 255).astype(np.uint8).tobytes())
        else: line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for i in range(stride): line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
    elif f == 4:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line

background = rows[0][:3]
colours, other, total = set(), 0, 0
for y in range(0, height, 2):
    r = rows[y]
    for x in range(0, width, 2):
        px = r[x * bpp:x * bpp + 3]
        colours.add(px)
        total += 1
        if px != background: other += 1
share = other / total
print(f"check-report: screenshot {width}x{height}: {share:.1%} non-background pixels, {len(colours)} distinct colours")
if share < 0.02 or len(colours) < 16:
    sys.exit("check-report: FAILED: the screenshot is blank or nearly blank")

if crop:
    last = height - 1
    while last > 0 and all(rows[last][i:i + 3] == background for i in range(0, stride, bpp * 4)): last -= 1
    keep = min(height, last + 24)
    def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    rgb_rows = [rows[y] if bpp == 3 else bytes(b for i, b in enumerate(rows[y]) if i % 4 != 3) for y in range(keep)]
    if np is not None:
        # A 256-colour palette (the most frequent exact colours; every other colour mapped to the nearest of them):
        # text and charts stay sharp, white stays white, and the file shrinks several times.
        img = np.frombuffer(b"".join(rgb_rows), np.uint8).reshape(keep, width, 3).astype(np.int64)
        keys = (img[..., 0] << 16) | (img[..., 1] << 8) | img[..., 2]
        uniq, inverse, counts = np.unique(keys.ravel(), return_inverse=True, return_counts=True)
        top = uniq[np.argsort(-counts, kind="stable")[:256]]
        pal = np.stack([(top >> 16) & 255, (top >> 8) & 255, top & 255], axis=1)
        ucol = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], axis=1)
        nearest = np.concatenate([np.argmin(((ucol[i:i + 4096, None, :] - pal[None, :, :]) ** 2).sum(axis=2), axis=1) for i in range(0, len(ucol), 4096)])
        index = nearest[inverse.ravel()].reshape(keep, width).astype(np.uint8)
        raw = np.zeros((keep, width + 1), np.uint8)  # filter type 0 on every row: the PNG advice for palette images
        raw[:, 1:] = index
        plte = bytes(pal.astype(np.uint8).ravel())
        png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, keep, 8, 3, 0, 0, 0)) + chunk(b"PLTE", plte) \
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)) + chunk(b"IEND", b"")
    else:
        # Without numpy: RGB with the Up filter and maximum compression (smaller than the browser's fast encoder).
        out, prev = bytearray(), bytes(width * 3)
        for r in rgb_rows:
            out.append(2); out += bytes((a - b) & 255 for a, b in zip(r, prev)); prev = r
        png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, keep, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(bytes(out), 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)
    print(f"check-report: cropped to {width}x{keep}, {len(png):,} bytes")
PY
echo "check-report: OK: $html"
