"""The list of duplicate groups as a Qt item model (one row per group).

Rows carry the workflow's :class:`~desktop_app.workflow.groups.DuplicateGroup` objects (roles
below); the delegate paints each row as a strip of member thumbnails. Thumbnails come from a
:class:`~desktop_app.ui.common.thumbnails.ThumbnailCache`; when one arrives, only the rows showing that
image are repainted. Regrouping (the threshold slider) replaces all rows at once: a model reset
is O(groups) and cheap, with no widget per row.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Sequence

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Slot
from PySide6.QtGui import QPixmap

from desktop_app.ui.common.scale import format_bytes, format_score
from desktop_app.ui.common.thumbnails import ThumbnailCache
from desktop_app.workflow.groups import DuplicateGroup, Mark

log = logging.getLogger(__name__)

GroupRole = Qt.ItemDataRole.UserRole + 1          # the DuplicateGroup
GroupNumberRole = Qt.ItemDataRole.UserRole + 2    # 1-based number shown to the user
ArchiveCountRole = Qt.ItemDataRole.UserRole + 3   # members marked for archiving
BytesToFreeRole = Qt.ItemDataRole.UserRole + 4    # bytes those members take

Index = QModelIndex | QPersistentModelIndex


def _chosen_by(value: str) -> str:
    """Who decided a mark, in words: "proposal", "you", "rule: highest resolution"..."""
    if value.startswith("rule:"):
        return "rule: " + value[5:].replace("-", " ")
    return {"hand": "marked by you", "default": "proposal", "saved": "earlier review",
            "protected": "protected folder"}.get(value, value)


def files_and_photos(group: DuplicateGroup) -> str:
    """"5 files", or "5 files (4 photos)" when RAW+JPEG pairs count as one photo each."""
    photos = len(group.units()) if group.raw_jpeg_pairs else len(group)
    return f"{len(group)} files" + (f" ({photos} photos)" if photos != len(group) else "")


class GroupListModel(QAbstractListModel):
    """Rows = duplicate groups. ``thumbnail(image_id)`` serves the delegate."""

    def __init__(self, thumbnails: ThumbnailCache | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._groups: list[DuplicateGroup] = []
        self._rows_by_image: dict[int, list[int]] = {}
        self._thumbnails = thumbnails
        if thumbnails is not None:
            thumbnails.ready.connect(self._on_thumbnails_ready)
            thumbnails.failed.connect(self._on_thumbnails_failed)

    # --- Qt model ----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._groups)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid() or not 0 <= index.row() < len(self._groups):
            return None
        group = self._groups[index.row()]
        if role == GroupRole:
            return group
        if role == GroupNumberRole:
            return index.row() + 1
        if role == ArchiveCountRole:
            return len(group.archived)
        if role == BytesToFreeRole:
            return group.bytes_to_free
        if role == Qt.ItemDataRole.DisplayRole:
            return f"Group {index.row() + 1}: {len(group)} files"
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"Group {index.row() + 1} — {files_and_photos(group)}"]
            for m in group.members:
                if m.path == group.original.path:
                    what = f"original: {group.reason}" if group.reason else "original"
                else:
                    what = f"similarity {format_score(m.similarity)}" + (
                        f", {m.relation_label}" if m.relation_label else "")
                partner = group.partner(m.path)
                pair = f"; one photo with {os.path.basename(partner)}" if partner else ""
                lines.append(
                    f"{'✓ keep' if m.mark is Mark.KEEP else '✗ archive'}: {m.name} ({what}, "
                    f"{format_bytes(m.size)}; {_chosen_by(m.chosen_by)}{pair})"
                )
            return "\n".join(lines)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Group {index.row() + 1}, {len(group)} files, {len(group.archived)} marked for archive"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # --- content -----------------------------------------------------------------------------
    def set_groups(self, groups: Sequence[DuplicateGroup]) -> None:
        """Show ``groups`` (the list is referenced, not copied: call :meth:`refresh` after
        the groups' marks change)."""
        self.beginResetModel()
        self._groups = list(groups)
        self._rows_by_image = {}
        for row, group in enumerate(self._groups):
            for member in group.members:
                self._rows_by_image.setdefault(member.image_id, []).append(row)
        self.endResetModel()

    def groups(self) -> list[DuplicateGroup]:
        return list(self._groups)

    def group(self, row: int) -> DuplicateGroup:
        return self._groups[row]

    def refresh(self, rows: Sequence[int] | None = None) -> None:
        """Repaint ``rows`` (all rows when None) after their marks changed. (What Archive would
        move is counted by the plan, in the executor: ui/duplicates/archive_totals.py.)"""
        if not self._groups:
            return
        if rows is None:
            self.dataChanged.emit(self.index(0), self.index(len(self._groups) - 1))
            return
        for row in rows:
            if 0 <= row < len(self._groups):
                self.dataChanged.emit(self.index(row), self.index(row))

    def row_of_path(self, path: str) -> int | None:
        for row, group in enumerate(self._groups):
            if path in group:
                return row
        return None

    # --- thumbnails --------------------------------------------------------------------------
    def thumbnail(self, image_id: int) -> QPixmap | None:
        """The member's thumbnail, or None while it loads (a repaint follows)."""
        if self._thumbnails is None:
            return None
        return self._thumbnails.get(image_id)

    def thumbnail_error(self, image_id: int) -> str | None:
        return None if self._thumbnails is None else self._thumbnails.error(image_id)

    @Slot(object)
    def _on_thumbnails_ready(self, image_id: object) -> None:
        for row in self._rows_by_image.get(image_id, ()):  # type: ignore[call-overload]
            if row < len(self._groups):
                idx = self.index(row)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    @Slot(object, str)
    def _on_thumbnails_failed(self, image_id: object, _reason: str) -> None:
        self._on_thumbnails_ready(image_id)
