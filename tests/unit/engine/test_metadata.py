"""The metadata reader: GPS position, bit depth, embedded and sidecar XMP, from real files."""

from __future__ import annotations

from pathlib import Path

from desktop_app.engine.metadata import read_metadata, read_xmp, read_xmp_file
from tests.unit.workflow.photo_files import jpeg, png16, xmp


def test_gps_position_and_bit_depth(tmp_path: Path) -> None:
    with_gps, plain, deep = tmp_path / "a.jpg", tmp_path / "b.jpg", tmp_path / "c.png"
    with_gps.write_bytes(jpeg(1, gps=True))
    plain.write_bytes(jpeg(1))
    deep.write_bytes(png16(3))
    lat, lon = read_metadata(with_gps).gps or (0.0, 0.0)
    assert abs(lat - 48.858) < 0.001 and abs(lon - 2.2945) < 0.001
    assert read_metadata(plain).gps is None and read_metadata(plain).bit_depth == 8
    assert read_metadata(deep).bit_depth == 16


def test_xmp_rating_keywords_title_description_and_edits(tmp_path: Path) -> None:
    facts = read_xmp(xmp(rating=4, keywords=("Paris", "Tower"), edits=True))
    assert facts.rating == 4 and facts.keywords == {"Paris", "Tower"} and facts.edits
    packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
              b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Sunset</rdf:li></rdf:Alt></dc:title>'
              b'<dc:description><rdf:Alt><rdf:li>From the tower</rdf:li></rdf:Alt></dc:description>'
              b'</rdf:Description></rdf:RDF></x:xmpmeta>')
    embedded = tmp_path / "x.jpg"
    embedded.write_bytes(jpeg(2)[:2] + b"\xff\xe1" + (len(packet) + 31).to_bytes(2, "big")
                         + b"http://ns.adobe.com/xap/1.0/\x00" + packet + jpeg(2)[2:])
    got = read_metadata(embedded).xmp
    assert (got.title, got.description, got.rating, got.edits) == ("Sunset", "From the tower", 0, False)
    side = tmp_path / "x.xmp"
    side.write_bytes(xmp(rating=2))
    assert read_xmp_file(side).rating == 2


def test_unreadable_input_claims_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really")
    assert read_metadata(broken).gps is None and read_metadata(tmp_path / "missing.jpg").bit_depth == 0
    assert read_xmp(b"<x:xmpmeta>not xml") == read_xmp(b"")
    assert read_xmp_file(tmp_path / "missing.xmp").rating == 0
