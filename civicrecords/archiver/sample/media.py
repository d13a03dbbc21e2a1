"""Real, small media files for the sample world, generated once and kept in memory.

Every asset is produced with Pillow (or by hand for containers Pillow cannot write) the first
time it is asked for, then cached; all are deterministic byte for byte for a given Pillow
version. Guarantees:

- Photos are baseline JPEGs. Those with ``gps`` set carry an EXIF GPS IFD (latitude/longitude of
  a Minnesota place) plus camera make, model and capture time, readable with
  ``Image.open(...).getexif().get_ifd(0x8825)``. Real Mastodon strips EXIF; the sample keeps it so
  that export code which must strip location data has something to strip.
- Graphics are PNGs (one with an alpha channel).
- ``video``/``gifv`` assets are MP4 files: ISO BMFF (ftyp, moov, mdat) with one Motion-JPEG
  video track (``mp4v`` sample entry, esds objectTypeIndication 0x6C), built by hand; ffmpeg
  decodes them. Mastodon also serves GIFs ("gifv") as MP4.
- ``audio`` is an MPEG-1 Layer III file of silent frames (mono, 44.1 kHz, 128 kbit/s).
- ``blurhash`` is a real BlurHash (4x4 components) of the image or the video's first frame.
"""

from __future__ import annotations

import io
import math
import struct
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Final

from PIL import Image, ImageDraw

from civicrecords.archiver.sample.ids import mix, seed_key

_SMALL_PIXELS: Final = 230_400  # Mastodon's "small" style: at most 480x480 worth of pixels


@dataclass(frozen=True)
class AssetSpec:
    """What an asset is: its kind, format, size and (for photos) where it was taken."""

    key: str
    kind: str  # image | gifv | video | audio
    fmt: str  # jpeg | png | mp4 | mp3
    width: int = 0
    height: int = 0
    gps: tuple[float, float] | None = None
    frames: int = 0
    fps: int = 0
    seconds: float = 0.0
    label: str = ""


SPECS: Final[dict[str, AssetSpec]] = {
    s.key: s
    for s in (
        AssetSpec("snowplow", "image", "jpeg", 800, 600, (44.9483, -93.5636), label="PLOW 7"),
        AssetSpec("oak-street", "image", "jpeg", 800, 533, (44.9497, -93.5691), label="OAK ST"),
        AssetSpec("park", "image", "jpeg", 640, 640, label="LAKESIDE PARK"),
        AssetSpec("water-main", "image", "jpeg", 800, 600, (44.9460, -93.5600), label="CREW"),
        AssetSpec("library", "image", "jpeg", 600, 800, label="LIBRARY"),
        AssetSpec("lake", "image", "jpeg", 960, 540, (46.7867, -92.1005), label=""),
        AssetSpec("pothole", "image", "jpeg", 640, 480, (44.9778, -93.2650), label="!"),
        AssetSpec("ice-rink", "image", "jpeg", 640, 480, (44.9537, -93.0900), label="RINK"),
        AssetSpec("flyer", "image", "png", 600, 776, label="PUBLIC HEARING"),
        AssetSpec("detour-map", "image", "png", 800, 600, label="DETOUR"),
        AssetSpec("plow-timelapse", "video", "mp4", 320, 240, frames=8, fps=4, label="PLOW"),
        AssetSpec("ducks", "gifv", "mp4", 240, 240, frames=6, fps=6, label="QUACK"),
        AssetSpec("council-clip", "audio", "mp3", seconds=2.0),
        AssetSpec("avatar-city", "image", "png", 400, 400, label="LAKESIDE"),
        AssetSpec("avatar-mayor", "image", "jpeg", 400, 400, label="IH"),
        AssetSpec("avatar-1", "image", "jpeg", 256, 256, label="A"),
        AssetSpec("avatar-2", "image", "jpeg", 256, 256, label="B"),
        AssetSpec("avatar-3", "image", "jpeg", 256, 256, label="C"),
        AssetSpec("avatar-4", "image", "jpeg", 256, 256, label="D"),
        AssetSpec("avatar-missing", "image", "png", 400, 400),
        AssetSpec("header-city", "image", "jpeg", 1500, 500, label="CITY OF LAKESIDE"),
        AssetSpec("header-mayor", "image", "jpeg", 1500, 500, label="OFFICE OF THE MAYOR"),
        AssetSpec("header-missing", "image", "png", 1500, 500),
    )
}
PHOTO_KEYS: Final = ("snowplow", "oak-street", "park", "water-main", "library", "lake")
RESIDENT_PHOTO_KEYS: Final = ("pothole", "ice-rink", "lake", "park")
GRAPHIC_KEYS: Final = ("flyer", "detour-map")
MIME: Final = {"jpeg": "image/jpeg", "png": "image/png", "mp4": "video/mp4", "mp3": "audio/mpeg"}
EXT: Final = {"jpeg": "jpg", "png": "png", "mp4": "mp4", "mp3": "mp3"}
SMALL_EXT: Final = {"jpeg": "jpg", "png": "png", "mp4": "jpg", "mp3": "jpg"}


def _scene(spec: AssetSpec, width: int, height: int, frame: int = 0) -> Image.Image:
    """Draw a simple, recognisable picture for ``spec`` (deterministic)."""
    h = mix(seed_key(spec.key), frame)
    sky = ((h >> 8) % 80 + 90, (h >> 16) % 80 + 120, (h >> 24) % 60 + 190)
    ground = ((h >> 32) % 90 + 60, (h >> 40) % 90 + 90, (h >> 48) % 70 + 50)
    img = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(img)
    horizon = height * (55 + (h % 20)) // 100
    draw.rectangle((0, horizon, width, height), fill=ground)
    for i in range(5):
        g = mix(h, i)
        x, y = g % max(1, width), horizon + (g >> 20) % max(1, height - horizon)
        size = 10 + (g >> 40) % max(10, width // 6)
        color = ((g >> 8) % 256, (g >> 16) % 256, (g >> 24) % 256)
        shift = frame * width // 16
        box = ((x + shift) % width, y - size, (x + shift) % width + size, y)
        (draw.ellipse if i % 2 else draw.rectangle)(box, fill=color)
    if spec.label:
        draw.text((width // 20, height // 20), spec.label, fill=(20, 20, 20))
    return img


def _small_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, math.sqrt(_SMALL_PIXELS / (width * height)))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 2)
    return float(degrees), float(minutes), seconds


def _exif(spec: AssetSpec) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "CivicCam"  # Make
    exif[0x0110] = "Sample S1"  # Model
    exif[0x0132] = "2026:03:04 09:41:22"  # DateTime
    if spec.gps is not None:
        lat, lon = spec.gps
        gps = exif.get_ifd(0x8825)
        gps[0] = b"\x02\x03\x00\x00"  # GPSVersionID
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(lon)
    return exif


def _encode_image(img: Image.Image, fmt: str, exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    if fmt == "jpeg":
        kwargs = {"exif": exif.tobytes()} if exif is not None else {}
        img.convert("RGB").save(buf, "JPEG", quality=80, **kwargs)
    else:
        img.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _descriptor(tag: int, payload: bytes) -> bytes:
    return bytes([tag, len(payload)]) + payload


def build_mp4(frames: list[bytes], width: int, height: int, fps: int) -> bytes:
    """Return an MP4 file holding ``frames`` (JPEG bytes) as a Motion-JPEG video track."""
    timescale, count = 1000, len(frames)
    delta = timescale // fps
    duration = delta * count
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2mp41")
    mvhd = _full_box(b"mvhd", 0, 0, struct.pack(">IIIIIH", 0, 0, timescale, duration, 0x10000,
                                                0x100), bytes(10), _MATRIX, bytes(24),
                     struct.pack(">I", 2))
    tkhd = _full_box(b"tkhd", 0, 3, struct.pack(">IIIII", 0, 0, 1, 0, duration), bytes(8),
                     struct.pack(">hhHH", 0, 0, 0, 0), _MATRIX,
                     struct.pack(">II", width << 16, height << 16))
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00")
    vmhd = _full_box(b"vmhd", 0, 1, bytes(8))
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))
    bitrate = sum(len(f) for f in frames) * 8 * fps // max(1, count)
    decoder = _descriptor(4, bytes([0x6C, 0x11]) + bytes(3) + struct.pack(">II", bitrate, bitrate))
    es = _descriptor(3, struct.pack(">HB", 1, 0) + decoder + _descriptor(6, b"\x02"))
    esds = _full_box(b"esds", 0, 0, es)
    entry = _box(b"mp4v", bytes(6), struct.pack(">H", 1), bytes(16),
                 struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1),
                 bytes([11]) + b"Motion JPEG".ljust(31, b"\x00"), struct.pack(">Hh", 0x18, -1),
                 esds)
    stsd = _full_box(b"stsd", 0, 0, struct.pack(">I", 1), entry)
    stts = _full_box(b"stts", 0, 0, struct.pack(">III", 1, count, delta))
    stsc = _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, count, 1))
    stsz = _full_box(b"stsz", 0, 0, struct.pack(">II", 0, count),
                     b"".join(struct.pack(">I", len(f)) for f in frames))

    def moov(offset: int) -> bytes:
        stco = _full_box(b"stco", 0, 0, struct.pack(">II", 1, offset))
        stbl = _box(b"stbl", stsd, stts, stsc, stsz, stco)
        mdia = _box(b"mdia", mdhd, hdlr, _box(b"minf", vmhd, dinf, stbl))
        return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))

    head_len = len(ftyp) + len(moov(0)) + 8
    mdat = _box(b"mdat", *frames)
    return ftyp + moov(head_len) + mdat


def build_mp3(seconds: float) -> bytes:
    """Return an MP3 of ``seconds`` of silence: MPEG-1 Layer III, mono, 44.1 kHz, 128 kbit/s."""
    frame = b"\xff\xfb\x90\xc0" + bytes(417 - 4)
    count = max(1, round(seconds * 44100 / 1152))
    return frame * count


_B83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def _b83(value: int, length: int) -> str:
    return "".join(_B83[(value // 83 ** (length - i - 1)) % 83] for i in range(length))


def _to_linear(c: int) -> float:
    v = c / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _to_srgb(v: float) -> int:
    v = min(1.0, max(0.0, v))
    out = v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
    return int(out * 255 + 0.5)


def blurhash(img: Image.Image, xc: int = 4, yc: int = 4) -> str:
    """Return the BlurHash of ``img`` with ``xc`` x ``yc`` components."""
    w = h = 16
    raw = img.convert("RGB").resize((w, h)).tobytes()
    linear = [(_to_linear(raw[i]), _to_linear(raw[i + 1]), _to_linear(raw[i + 2]))
              for i in range(0, len(raw), 3)]
    factors = []
    for j in range(yc):
        for i in range(xc):
            norm = 1.0 if i == j == 0 else 2.0
            cos_x = [math.cos(math.pi * i * x / w) for x in range(w)]
            cos_y = [math.cos(math.pi * j * y / h) for y in range(h)]
            acc = [0.0, 0.0, 0.0]
            for idx, (r, g, b) in enumerate(linear):
                basis = norm * cos_x[idx % w] * cos_y[idx // w]
                acc[0] += basis * r
                acc[1] += basis * g
                acc[2] += basis * b
            factors.append([c / (w * h) for c in acc])
    dc, ac = factors[0], factors[1:]
    out = _b83((xc - 1) + (yc - 1) * 9, 1)
    max_ac = max(abs(c) for f in ac for c in f)
    quant = max(0, min(82, int(max_ac * 166 - 0.5)))
    out += _b83(quant, 1)
    limit = (quant + 1) / 166
    out += _b83((_to_srgb(dc[0]) << 16) + (_to_srgb(dc[1]) << 8) + _to_srgb(dc[2]), 4)

    def q(v: float) -> int:
        s = math.copysign(abs(v / limit) ** 0.5, v)
        return max(0, min(18, int(s * 9 + 9.5)))

    for f in ac:
        out += _b83(q(f[0]) * 361 + q(f[1]) * 19 + q(f[2]), 2)
    return out


@dataclass
class Asset:
    """One media file: its bytes, preview and the metadata Mastodon reports for it."""

    spec: AssetSpec
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def mime(self) -> str:
        """Content-Type of the original file."""
        return MIME[self.spec.fmt]

    @cached_property
    def _frames(self) -> list[Image.Image]:
        s = self.spec
        return [_scene(s, s.width, s.height, n) for n in range(max(1, s.frames))]

    @cached_property
    def original(self) -> bytes:
        """The full file."""
        s = self.spec
        if s.fmt == "mp3":
            return build_mp3(s.seconds)
        if s.fmt == "mp4":
            frames = [_encode_image(f, "jpeg") for f in self._frames]
            return build_mp4(frames, s.width, s.height, s.fps)
        img = self._frames[0]
        if s.key == "flyer":
            img = img.convert("RGBA")
            img.putalpha(230)
        return _encode_image(img, s.fmt, _exif(s) if s.fmt == "jpeg" and s.gps else None)

    @cached_property
    def small(self) -> bytes:
        """The preview: a downscaled image (JPEG for video, same format for images)."""
        if self.spec.fmt == "mp3":
            return b""
        w, h = self.small_size
        fmt = "png" if self.spec.fmt == "png" else "jpeg"
        return _encode_image(self._frames[0].resize((w, h)), fmt)

    @property
    def small_size(self) -> tuple[int, int]:
        """Width and height of the preview."""
        return _small_size(self.spec.width, self.spec.height)

    @cached_property
    def blurhash(self) -> str | None:
        """BlurHash of the picture, or None for audio."""
        return None if self.spec.fmt == "mp3" else blurhash(self._frames[0])


class MediaLibrary:
    """Thread-safe, lazily filled cache of every asset (shared by all servers in a process)."""

    def __init__(self) -> None:
        self._assets: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Asset:
        """Return the asset named ``key``; raises KeyError for an unknown key."""
        with self._lock:
            asset = self._assets.get(key)
            if asset is None:
                asset = self._assets[key] = Asset(SPECS[key])
        with asset._lock:  # build bytes once even when threads race
            asset.original  # noqa: B018 - warm the cache under the asset lock
            asset.small  # noqa: B018
            asset.blurhash  # noqa: B018
        return asset


LIBRARY: Final = MediaLibrary()


def capture_time() -> datetime:
    """The capture time written into photos' EXIF (fixed, for determinism)."""
    return datetime(2026, 3, 4, 9, 41, 22, tzinfo=UTC)
