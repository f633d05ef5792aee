#!/bin/sh
# Flatpak launcher for Lookalike.
#
# Inside the sandbox XDG_DATA_HOME points at ~/.var/app/io.github.lookalike.Lookalike/data, so
# files "moved to the trash" would land in a private trash the user never sees in the file
# manager, and search contexts would not be shared with a non-Flatpak install. With
# --filesystem=home the real ~/.local/share is reachable, so point XDG_DATA_HOME back at it:
# the trash is the user's trash, and contexts live in ~/.local/share/lookalike as everywhere else.
export XDG_DATA_HOME="$HOME/.local/share"
exec /app/lib/lookalike/lookalike "$@"
