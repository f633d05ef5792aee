#!/usr/bin/env bash
# Wrap the PyInstaller bundle (packaging/dist/lookalike, from packaging/build.sh) as an AppImage:
#
#   packaging/linux/make-appimage.sh     ->  packaging/dist/Lookalike-VERSION-ARCH.AppImage
#
# Needs appimagetool (https://github.com/AppImage/appimagetool/releases: download
# appimagetool-x86_64.AppImage, chmod +x, put it on the PATH as `appimagetool`, or point
# APPIMAGETOOL at it). Without it the script still assembles packaging/build/Lookalike.AppDir,
# which runs as is (./AppRun) and can be turned into an AppImage later on another machine.
#
# Build on the OLDEST distribution you want to support (e.g. a Debian 11 / Ubuntu 20.04 / a
# manylinux_2_28 container): the bundle contains the build machine's Python and links against its
# glibc, and glibc only runs programs built against the same or an older version.
#
# Inside the AppImage, `lookalike` is the app; the CLI is reached with
#   ./Lookalike-*.AppImage --cli index ~/Pictures --context Pictures
#
# Environment: LOOKALIKE_FROZEN_DIR (the bundle, default packaging/dist/lookalike), APPDIR (where
# to assemble, default packaging/build/Lookalike.AppDir), APPIMAGETOOL (the tool).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
packaging="$(dirname "$here")"
repo="$(dirname "$packaging")"
bundle="${LOOKALIKE_FROZEN_DIR:-$packaging/dist/lookalike}"
appdir="${APPDIR:-$packaging/build/Lookalike.AppDir}"
app_id=io.github.lookalike.Lookalike

if [ ! -x "$bundle/lookalike" ]; then
    echo "make-appimage.sh: no bundle at $bundle; run packaging/build.sh first" >&2
    exit 1
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/pyproject.toml" | head -1)
arch=$(uname -m)
resources="$bundle/_internal/desktop_app/resources"

rm -rf "$appdir"
mkdir -p "$appdir/usr/lib" "$appdir/usr/bin" "$appdir/usr/share/applications" \
    "$appdir/usr/share/metainfo" "$appdir/usr/share/icons/hicolor/scalable/apps"
cp -a "$bundle" "$appdir/usr/lib/lookalike"
rm -f "$appdir/usr/lib/lookalike/install.sh"  # for the plain folder only
ln -s ../lib/lookalike/lookalike "$appdir/usr/bin/lookalike"
ln -s ../lib/lookalike/lookalike-cli "$appdir/usr/bin/lookalike-cli"

cp "$resources/$app_id.desktop" "$appdir/usr/share/applications/"
cp "$resources/$app_id.desktop" "$appdir/"
# appimagetool checks the metainfo against the desktop entry when appstreamcli is installed.
cp "$resources/$app_id.metainfo.xml" "$appdir/usr/share/metainfo/$app_id.appdata.xml"
cp "$resources/icons/lookalike.svg" "$appdir/usr/share/icons/hicolor/scalable/apps/$app_id.svg"
for size in 16 32 48 64 128 256 512; do
    mkdir -p "$appdir/usr/share/icons/hicolor/${size}x${size}/apps"
    cp "$resources/icons/lookalike-$size.png" "$appdir/usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
cp "$resources/icons/lookalike-256.png" "$appdir/$app_id.png"
ln -s "$app_id.png" "$appdir/.DirIcon"

cat > "$appdir/AppRun" <<'APPRUN'
#!/bin/sh
# AppImage entry point: the app, or the CLI with --cli as the first argument.
here="$(dirname "$(readlink -f "$0")")"
if [ "${1:-}" = "--cli" ]; then
    shift
    exec "$here/usr/lib/lookalike/lookalike-cli" "$@"
fi
exec "$here/usr/lib/lookalike/lookalike" "$@"
APPRUN
chmod +x "$appdir/AppRun"
echo "AppDir ready: $appdir ($(du -sh "$appdir" | cut -f1))"

tool="${APPIMAGETOOL:-$(command -v appimagetool || true)}"
if [ -z "$tool" ]; then
    echo "appimagetool not found: install it (see the top of this script) and re-run to get the .AppImage" >&2
    exit 0
fi
out="$packaging/dist/Lookalike-$version-$arch.AppImage"
ARCH="$arch" "$tool" "$appdir" "$out"
echo "AppImage: $out ($(du -sh "$out" | cut -f1))"
