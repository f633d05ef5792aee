"""Plain dataclasses the engine returns. This is the contract the context, workflow and ui build on.

Fields may be added; existing fields keep their names and meaning.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ImageFacts:
    """What a photographer sees in a metadata table. Dimensions are after EXIF orientation."""

    width: int
    height: int
    format: str                 # "JPEG", "PNG", "HEIF", "RAW", ... (Pillow's format name, upper case)
    lossless: bool              # PNG/TIFF(uncompressed or lossless)/BMP/RAW/lossless WebP ...
    date_taken: str | None = None   # EXIF DateTimeOriginal as ISO 8601 "YYYY-MM-DDTHH:MM:SS", if any
    camera: str | None = None       # "Make Model", if any
    orientation: int = 1            # EXIF orientation tag that was applied (1 = none)
    metadata_count: int = 0         # number of EXIF/XMP/ICC fields; "keep the one with most metadata"

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class ImageFeatures:
    """Visual features of one image, computed from one decode at working size.

    ``phash`` holds the 64-bit DCT pHash of the 8 dihedral variants (index 0 = as decoded,
    EXIF orientation already applied). ``keypoints`` are ORB keypoint coordinates in the
    *working image* (``working_size``), ``descriptors`` the matching 32-byte ORB descriptors.
    """

    phash: np.ndarray                 # shape (8,), dtype uint64
    keypoints: np.ndarray             # shape (N, 2), float32, x/y in working-image pixels
    descriptors: np.ndarray           # shape (N, 32), uint8
    working_size: tuple[int, int]     # (width, height) of the image the features were taken from
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # further engine-private features

    def to_bytes(self) -> bytes:
        return features_to_bytes(self)

    @staticmethod
    def from_bytes(blob: bytes) -> "ImageFeatures":
        return features_from_bytes(blob)


@dataclass(frozen=True)
class AnalyzedImage:
    """Everything the index stores for one file, from one decode. Picklable (process pool)."""

    path: str
    size: int                   # bytes
    mtime_ns: int
    content_hash: str           # hex digest of the file bytes (exact-duplicate detection)
    facts: ImageFacts
    features: ImageFeatures
    thumbnail_jpeg: bytes       # >= 256 px long side, EXIF orientation applied


@dataclass(frozen=True)
class AlignedDifference:
    """What still differs once ``b`` is aligned onto ``a`` and its tones matched to ``a``'s.

    Measured on the small grayscale thumbnails over their overlap; shares are of that overlap,
    ``region_box`` is (x0, y0, x1, y1) in fractions of a's content box.
    """

    ncc: float                  # correlation of the aligned thumbnails (1 = same pixels)
    changed_share: float        # share of the overlap that differs after tone matching
    largest_region: float       # share of the overlap taken by the largest changed region
    region_box: tuple[float, float, float, float]
    contrast: float             # mean absolute difference inside that region, 0-1


@dataclass(frozen=True)
class Comparison:
    """Similarity of two images (0-100, see the scale in README) and the evidence for it.

    Point arrays are in each image's *working-image* coordinates (``ImageFeatures.working_size``);
    ``inlier_mask[i]`` tells whether match ``i`` agreed with the verified geometric transform.
    """

    score: float
    phash_distance: int                 # best Hamming distance over the 8 dihedral variants
    matches: int                        # ORB matches after the ratio test
    inliers: int                        # matches consistent with the RANSAC transform
    transform: np.ndarray | None = None  # 3x3 (homography) or 2x3 (affine) from a to b, if verified
    points_a: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    points_b: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    inlier_mask: np.ndarray = field(default_factory=lambda: np.zeros((0,), bool))
    reason: str = ""                    # short human explanation ("identical pixels", "verified crop", ...)
    # Evidence for relation labels ("cropped", "border added", "mirrored", ...). Border shares are
    # (left, top, right, bottom) fractions of each working image that a uniform border or
    # letterbox bar takes; overlaps are the share of each image's content the other one shows
    # (a crop keeping half of a's area: overlap_a 0.5, overlap_b 1.0).
    mirrored: bool = False              # verified as a mirror image (transform has a reflection)
    model: str = ""                     # verified transform: "identity", "affine", "homography", "dihedral"
    borders_a: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    borders_b: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    overlap_a: float | None = None
    overlap_b: float | None = None
    same_framing: bool = False          # verified points sit at the same place in both frames
    difference: AlignedDifference | None = None
    colour_change: float = 0.0          # mean chroma difference of the Lab signatures (0 = same colours)
    chroma_a: float = 0.0               # mean chroma of each image (about 0 for black and white)
    chroma_b: float = 0.0


# ---------------------------------------------------------------------------------------------
# Serialisation of ImageFeatures: "LKF" + version, fixed header, keypoints as uint16 fixed point (1/16 px),
# descriptors, then named extra arrays. No pickle: a database blob can never execute code.

FORMAT_VERSION = 3           # bumped whenever stored features change meaning (2: borders trimmed, mirrored ORB;
#                              3: 128 px detail tile)
READABLE_VERSIONS = (1, 2, 3)  # older ones still compare (no border box / mirrored descriptors / detail
#                                tile); the index analyses such files again
_MAGIC = b"LKF"
_HEADER = struct.Struct("<3sBHHH8Q")   # magic, version, n_kp, work_w, work_h, phash[8]
_KP_SCALE = 16.0


def features_to_bytes(f: ImageFeatures) -> bytes:
    n = int(len(f.keypoints))
    parts = [_HEADER.pack(_MAGIC, FORMAT_VERSION, n, int(f.working_size[0]), int(f.working_size[1]),
                          *[int(x) for x in np.asarray(f.phash, dtype=np.uint64)])]
    kp = np.clip(np.round(np.asarray(f.keypoints, np.float64) * _KP_SCALE), 0, 65535).astype("<u2")
    parts.append(kp.tobytes())
    parts.append(np.ascontiguousarray(f.descriptors, dtype=np.uint8).tobytes())
    parts.append(struct.pack("<B", len(f.extra)))
    for name, arr in f.extra.items():
        a = np.ascontiguousarray(arr)
        dt = a.dtype.str.encode()
        nb = name.encode()
        parts.append(struct.pack("<B", len(nb)) + nb + struct.pack("<B", len(dt)) + dt)
        parts.append(struct.pack("<B", a.ndim) + struct.pack(f"<{a.ndim}I", *a.shape))
        parts.append(a.tobytes())
    return b"".join(parts)


def blob_version(blob: bytes) -> int:
    """Format version of a stored feature blob (features older than :data:`FORMAT_VERSION` should
    be recomputed: they lack the border box and the mirrored descriptors)."""
    if len(blob) < _HEADER.size or blob[:3] != _MAGIC:
        raise ValueError("not a feature blob")
    return int(blob[3])


def features_from_bytes(blob: bytes) -> ImageFeatures:
    if len(blob) < _HEADER.size:
        raise ValueError("feature blob too short")
    magic, version, n, ww, wh, *ph = _HEADER.unpack_from(blob, 0)
    if magic != _MAGIC or version not in READABLE_VERSIONS:
        raise ValueError(f"unsupported feature blob (magic {magic!r}, version {version})")
    pos = _HEADER.size
    kp = np.frombuffer(blob, dtype="<u2", count=2 * n, offset=pos).reshape(n, 2).astype(np.float32) / _KP_SCALE
    pos += 4 * n
    desc = np.frombuffer(blob, dtype=np.uint8, count=32 * n, offset=pos).reshape(n, 32)
    pos += 32 * n
    (count,) = struct.unpack_from("<B", blob, pos)
    pos += 1
    extra: dict[str, np.ndarray] = {}
    for _ in range(count):
        (ln,) = struct.unpack_from("<B", blob, pos)
        name = blob[pos + 1:pos + 1 + ln].decode()
        pos += 1 + ln
        (ld,) = struct.unpack_from("<B", blob, pos)
        dt = np.dtype(blob[pos + 1:pos + 1 + ld].decode())
        pos += 1 + ld
        (ndim,) = struct.unpack_from("<B", blob, pos)
        shape = struct.unpack_from(f"<{ndim}I", blob, pos + 1)
        pos += 1 + 4 * ndim
        size = int(np.prod(shape)) if ndim else 1
        arr = np.frombuffer(blob, dtype=dt, count=size, offset=pos).reshape(shape)
        pos += size * dt.itemsize
        extra[name] = arr
    return ImageFeatures(phash=np.array(ph, dtype=np.uint64), keypoints=kp, descriptors=desc,
                         working_size=(int(ww), int(wh)), extra=extra)
