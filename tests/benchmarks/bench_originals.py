"""Originals and relation labels on held-out photos, through the product path.

For each source photo (NOT the scikit-image samples the engine was tuned on): a camera JPEG
with EXIF (make, model, DateTimeOriginal) and what a photographer's library collects from it —
letterboxed and bordered exports, PNG/TIFF conversions without EXIF, a recompressed copy,
sharpened / gamma / saturation edits, 25 % and 50 % thumbnails, a crop, rotations, a mirror,
a straightened crop, a black-and-white version and a byte-identical backup. Every second photo's
camera file is stored on its side with EXIF orientation 6, next to an export whose pixels were
rotated upright instead (EXIF copied, orientation 1); every other photo's JPEG exports carry the
camera's EXIF (make, model, date taken), as an editor's exports do, so only content and file
dates tell them from the camera file. Derivatives are newer than the camera file.

Prints, at the threshold (default 70):
* the share of groups whose first file is the camera file or a byte-identical copy of it
  (target >= 0.95);
* the share of complete groups: every file of the photo scoring >= threshold against its camera
  file in the camera file's group, and nothing else (target >= 97 %);
* per relation class, the share of derivatives labelled right (target >= 0.9 each), over the
  derivatives that score at or above the threshold against their camera file.

    nice python tests/benchmarks/bench_originals.py [--photos DIR_OR_FILES ...] [--threshold 70]

Default photos: the real photos in ``/usr/share/tuxpaint/templates`` (Debian package
``tuxpaint-data``), or any folder/list of JPEG/PNG photos given with ``--photos``.
"""

from __future__ import annotations

import argparse
import glob
import io
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desktop_app.context.store import ContextStore  # noqa: E402
from tests.provenance_library import (  # noqa: E402
    DAY, DERIVATIVES, camera_file, encode, exif_bytes, random_derivatives, write_derivative)

DEFAULT_PHOTOS = "/usr/share/tuxpaint/templates"
T0 = 1_600_000_000 * 10**9
LONG_SIDE = 1200          # camera files are written at most this size (speed)


def _photos(specs: list[str]) -> list[Path]:
    out: list[Path] = []
    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            out += sorted(Path(f) for f in glob.glob(str(p / "*"))
                          if f.lower().endswith((".jpg", ".jpeg", ".png")))
        elif p.exists():
            out.append(p)
    return out


def _rgb(path: Path) -> np.ndarray:
    img = Image.open(path).convert("RGB")
    s = min(1.0, LONG_SIDE / max(img.size))
    if s < 1.0:
        img = img.resize((round(img.width * s), round(img.height * s)), Image.Resampling.LANCZOS)
    return np.asarray(img)


def build(photos: list[Path], lib: Path, seed: int | None = None) -> dict[str, dict[str, str]]:
    """Write the library; returns photo -> {path: expected relation ("original" for the camera
    file, "exact-copy" for the backup)}. With ``seed``, each photo's derivatives get their own
    random parameters (:func:`random_derivatives`)."""
    truth: dict[str, dict[str, str]] = {}
    rng = None if seed is None else np.random.default_rng(seed)
    for n, src in enumerate(photos):
        derivatives = DERIVATIVES if rng is None else random_derivatives(rng)
        photo = src.stem
        rotated = n % 2 == 1
        cam = lib / "DCIM" / f"IMG_{n:04d}.JPG"
        taken = f"2021:06:{1 + n % 28:02d} 10:00:00"
        data = camera_file(cam, _rgb(src), taken=taken,
                           mtime_ns=T0 + n * 10**9, orientation=6 if rotated else 1)
        files = {str(cam): "original"}
        for i, d in enumerate(derivatives):
            folder = "Backup" if d.name == "backup copy" else "Exports"
            path = write_derivative(lib / folder / f"{photo} {d.name}", data, d,
                                    mtime_ns=T0 + DAY + i * 10**9,
                                    keep_exif=None if rotated else taken)
            files[str(path)] = d.relation
        if rotated:
            # An editor's export: pixels turned upright, the camera's EXIF kept, orientation 1.
            upright = Image.open(io.BytesIO(data))
            upright = upright.transpose(Image.Transpose.ROTATE_270)
            path = lib / "Exports" / f"{photo} upright export.jpg"
            path.write_bytes(encode(upright, quality=88, exif=exif_bytes(
                taken=f"2021:06:{1 + n % 28:02d} 10:00:00", orientation=1)))
            os.utime(path, ns=(T0 + 2 * DAY, T0 + 2 * DAY))
            files[str(path)] = "recompressed"
        truth[photo] = files
    return truth


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", nargs="*", default=[DEFAULT_PHOTOS])
    ap.add_argument("--threshold", type=float, default=70.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=None,
                    help="draw each photo's derivative parameters at random (unseen variations)")
    args = ap.parse_args()
    photos = _photos(args.photos)
    if not photos:
        print(f"No photos found in {args.photos}; pass --photos DIR_OR_FILES", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "library"
        truth = build(photos, lib, args.seed)
        n_files = sum(len(f) for f in truth.values())
        store = ContextStore(Path(tmp) / "db.sqlite")
        ctx = store.create("originals", [lib])
        started = time.monotonic()
        ctx.index(workers=args.workers)
        indexed = time.monotonic() - started
        pairs = ctx.scored_pairs(workers=args.workers)
        started = time.monotonic()
        clusters = ctx.find_duplicates(threshold=args.threshold, pairs=pairs)
        grouped = time.monotonic() - started
        started = time.monotonic()
        ctx.find_duplicates(threshold=args.threshold, pairs=pairs)
        regrouped = time.monotonic() - started
        records = {r.id: r for r in ctx.images()}
        by_path = {r.path: r for r in records.values()}
        score = {}
        for a, b, s in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.score.tolist()):
            score[(a, b)] = score[(b, a)] = s
        photo_of = {p: photo for photo, files in truth.items() for p in files}
        group_of = {m.image.path: c for c in clusters for m in c.members}

        right_original = complete = 0
        below = 0
        per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        wrong: list[str] = []
        for photo, files in truth.items():
            cam_path = next(p for p, r in files.items() if r == "original")
            cam = by_path[cam_path]
            cluster = group_of.get(cam_path)
            first = cluster.members[0].image if cluster is not None else None
            ok = first is not None and first.content_hash == cam.content_hash
            right_original += ok
            if not ok:
                wrong.append(f"  {photo}: first file {first.path if first else None}"
                             f" ({cluster.reason if cluster else ''})")
            expected = {p for p in files if p == cam_path or by_path[p].content_hash == cam.content_hash
                        or score.get((cam.id, by_path[p].id), 0.0) >= args.threshold}
            below += len(files) - len(expected)
            got = {m.image.path for m in cluster.members} if cluster is not None else set()
            complete += got == expected
            labels = {} if cluster is None else {
                m.image.path: rel.kind.value for m, rel in zip(cluster.members, cluster.relations)}
            for p, rel in files.items():
                if rel == "original" or p not in expected:   # below the threshold: not grouped
                    continue
                per_class[rel][1] += 1
                hit = ok and labels.get(p) == rel
                per_class[rel][0] += hit
                if not hit:
                    wrong.append(f"  {Path(p).name}: expected {rel}, got {labels.get(p)}")
        store.close()
    groups = len(truth)
    print(f"{len(photos)} held-out photos, {n_files} files; threshold {args.threshold:g}"
          + ("" if args.seed is None else f"; random derivative parameters, seed {args.seed}"))
    print(f"index {indexed:.1f} s; find_duplicates (pairs cached) {grouped:.2f} s first, "
          f"{regrouped * 1000:.0f} ms again (relations cached)")
    print(f"first file is the camera file or a byte-identical copy: {right_original}/{groups} "
          f"= {right_original / groups:.3f} (target >= 0.95)")
    print(f"complete groups: {complete}/{groups} = {100 * complete / groups:.1f} % (target >= 97 %)"
          f"; derivatives scoring below the threshold to their camera file: {below}")
    print("relation labelled right (target >= 0.9 each):")
    for rel, (hit, total) in sorted(per_class.items()):
        print(f"  {rel:16s} {hit:3d}/{total:3d} = {hit / total:.3f}")
    if wrong:
        print("misses:")
        print("\n".join(wrong[:40]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
