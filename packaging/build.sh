#!/usr/bin/env bash
# Build the one-folder bundle: packaging/dist/lookalike/{lookalike,lookalike-cli,_internal/}.
#
#   packaging/build.sh            build (incremental: PyInstaller reuses packaging/build/)
#   packaging/build.sh --clean    throw away PyInstaller's cache and work files first
#   packaging/build.sh --archive  also pack the folder as dist/lookalike-VERSION-OS-ARCH.tar.gz
#                                 (.zip on Windows) for users to download
#
# Needs Lookalike installed with its packaging extra in the Python that runs it:
#   python3 -m venv .venv && .venv/bin/pip install -e '.[packaging]'
# The Python is $PYTHON, else the active virtualenv's, else ./.venv's, else python3.
# Prints the bundle's size and the build time. Runs PyInstaller under `nice` so a build does not
# starve the desktop (or other jobs) of CPU.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"

clean=""
archive=""
for arg in "$@"; do
    case "$arg" in
        --clean) clean="--clean" ;;
        --archive) archive=1 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

if [ -n "${PYTHON:-}" ]; then
    python="$PYTHON"
elif [ -n "${VIRTUAL_ENV:-}" ]; then
    python="$VIRTUAL_ENV/bin/python"
elif [ -x "$repo/.venv/bin/python" ]; then
    python="$repo/.venv/bin/python"
else
    python="python3"
fi

if ! "$python" -c "import PyInstaller, desktop_app" 2>/dev/null; then
    echo "build.sh: '$python' lacks PyInstaller or Lookalike; install them with:" >&2
    echo "    $python -m pip install -e '$repo[packaging]'" >&2
    exit 1
fi

start=$(date +%s)
# From packaging/, so that a stray lookalike.egg-info in the checkout (left by building a wheel)
# is not taken for the installed distribution's metadata.
cd "$here"
nice -n 10 "$python" -m PyInstaller --noconfirm $clean \
    --distpath "$here/dist" --workpath "$here/build" "$here/lookalike.spec"
seconds=$(( $(date +%s) - start ))

bundle="$here/dist/lookalike"
if [ "$(uname -s)" = Linux ]; then
    # Lets a user put the unpacked folder in the applications menu: ./install.sh
    cp "$here/linux/install.sh" "$bundle/install.sh"
fi
size=$(du -sh "$bundle" | cut -f1)
files=$(find "$bundle" -type f | wc -l)
echo "Built $bundle in ${seconds}s: $size in $files files"
if [ -d "$here/dist/Lookalike.app" ]; then
    echo "macOS app bundle: $here/dist/Lookalike.app ($(du -sh "$here/dist/Lookalike.app" | cut -f1))"
fi

if [ -n "$archive" ]; then
    version=$("$python" -c "import tomllib,sys; print(tomllib.load(open(sys.argv[1],'rb'))['project']['version'])" "$repo/pyproject.toml")
    os=$("$python" -c "import sys; print({'linux':'linux','darwin':'macos','win32':'windows'}.get(sys.platform, sys.platform))")
    arch=$("$python" -c "import platform; print(platform.machine().lower())")
    name="lookalike-$version-$os-$arch"
    if [ "$os" = windows ]; then
        (cd "$here/dist" && "$python" -m zipfile -c "$name.zip" lookalike)
        echo "Archive: $here/dist/$name.zip ($(du -sh "$here/dist/$name.zip" | cut -f1))"
    else
        tar -C "$here/dist" -czf "$here/dist/$name.tar.gz" lookalike
        echo "Archive: $here/dist/$name.tar.gz ($(du -sh "$here/dist/$name.tar.gz" | cut -f1))"
    fi
fi
