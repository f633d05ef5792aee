#!/usr/bin/env sh
# Install (or uninstall) the Lookalike bundle for the current user, like any desktop app:
# a launcher in the applications menu with its icon, "Open with Lookalike" for images and
# folders, and `lookalike` / `lookalike-cli` on the PATH. Nothing outside your home is touched
# and nothing is copied: the launcher points at this folder, so keep it where it is (for example
# ~/Applications/lookalike) and re-run this script after moving it.
#
#   ./install.sh              install for this user
#   ./install.sh --uninstall  remove the launcher, icons and PATH links (not this folder, not
#                             your search contexts in ~/.local/share/lookalike)
#
# Honours XDG_DATA_HOME (default ~/.local/share) and installs commands into ~/.local/bin.
set -eu

APP_ID=io.github.lookalike.Lookalike
here=$(cd "$(dirname "$0")" && pwd)
resources="$here/_internal/desktop_app/resources"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"

installed_files() {
    echo "$data/applications/$APP_ID.desktop"
    echo "$data/metainfo/$APP_ID.metainfo.xml"
    echo "$data/icons/hicolor/scalable/apps/$APP_ID.svg"
    for size in 16 32 48 64 128 256 512; do
        echo "$data/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
    echo "$bin/lookalike"
    echo "$bin/lookalike-cli"
}

refresh_caches() {
    # Best effort: desktops pick the entry up without these too, only later.
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
    installed_files | while read -r file; do rm -f "$file"; done
    refresh_caches
    echo "Lookalike's launcher, icons and commands are removed; $here itself is left in place."
    exit 0
fi
if [ -n "${1:-}" ]; then
    echo "install.sh: unknown option '$1' (use --uninstall or nothing)" >&2
    exit 2
fi
if [ ! -x "$here/lookalike" ] || [ ! -d "$resources" ]; then
    echo "install.sh: run me from inside the Lookalike folder (next to the 'lookalike' program)" >&2
    exit 1
fi

mkdir -p "$data/applications" "$data/metainfo" "$data/icons/hicolor/scalable/apps" "$bin"
# The desktop entry runs this folder's program by absolute path: ~/.local/bin may not be on
# the PATH the desktop session sees. Paths with spaces are quoted as the spec requires.
sed -e "s|^Exec=lookalike |Exec=\"$here/lookalike\" |" -e "s|^TryExec=lookalike\$|TryExec=$here/lookalike|" \
    "$resources/$APP_ID.desktop" > "$data/applications/$APP_ID.desktop"
cp "$resources/$APP_ID.metainfo.xml" "$data/metainfo/"
cp "$resources/icons/lookalike.svg" "$data/icons/hicolor/scalable/apps/$APP_ID.svg"
for size in 16 32 48 64 128 256 512; do
    mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
    cp "$resources/icons/lookalike-$size.png" "$data/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
ln -sf "$here/lookalike" "$bin/lookalike"
ln -sf "$here/lookalike-cli" "$bin/lookalike-cli"
refresh_caches

echo "Lookalike is installed: find it in your applications menu, or run 'lookalike'."
case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "Note: $bin is not on your PATH; add it to run 'lookalike' from a terminal." ;;
esac
