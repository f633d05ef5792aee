"""Which library folders join when none is open and none is named."""

from __future__ import annotations

from desktop_app.context.types import ContextInfo, Folder
from desktop_app.workflow.libraries import DEFAULT_LIBRARY, library_for


def _info(name: str, *folders: str) -> ContextInfo:
    return ContextInfo(name, tuple(Folder(f) for f in folders), 0, "", None)


def test_the_first_time_it_is_my_photos() -> None:
    assert library_for(["/p/Trip"], [], []) == DEFAULT_LIBRARY


def test_the_recent_library_when_it_holds_nothing_else() -> None:
    libraries = [_info("Holidays", "/p/Trip"), _info("My Photos", "/p/Other")]
    assert library_for(["/p/Trip"], libraries, ["Holidays", "My Photos"]) == "Holidays"


def test_never_an_older_library_of_other_folders() -> None:
    libraries = [_info("My Photos", "/p/Old"), _info("Trip", "/q/Trip")]
    assert library_for(["/p/Trip"], libraries, ["My Photos"]) == "Trip (2)"
    assert library_for(["/p/Beach"], libraries, ["My Photos"]) == "Beach"
