#!/usr/bin/env bash
# Sign, notarize and staple packaging/dist/Lookalike.app, then pack it as a .dmg.
#
#   packaging/build.sh                                  (on macOS: also makes Lookalike.app)
#   IDENTITY="Developer ID Application: Jane Doe (TEAMID)" \
#   NOTARY_PROFILE=lookalike packaging/macos/sign-and-notarize.sh
#
# Needs: Xcode command line tools (codesign, xcrun notarytool, stapler, hdiutil); an Apple
# Developer ID Application certificate in the keychain; a notarytool profile stored once with
#   xcrun notarytool store-credentials lookalike --apple-id you@example.com --team-id TEAMID
# Build on the oldest macOS you support, once per architecture (arm64 and x86_64) unless every
# wheel in the environment is universal2.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
app="$here/../dist/Lookalike.app"
: "${IDENTITY:?set IDENTITY to your 'Developer ID Application: ...' certificate name}"
: "${NOTARY_PROFILE:?set NOTARY_PROFILE to a profile stored with notarytool store-credentials}"
[ -d "$app" ] || { echo "no $app: run packaging/build.sh on macOS first" >&2; exit 1; }

# Inside out: every Mach-O file first (libraries, Qt plugins, Python extensions), then the app.
# --deep is deprecated for signing and misses files outside the standard bundle layout.
find "$app/Contents" -type f \( -name "*.so" -o -name "*.dylib" -o -perm -u+x \) -print0 |
    while IFS= read -r -d '' file; do
        if file "$file" | grep -q "Mach-O"; then
            codesign --force --timestamp --options runtime --entitlements "$here/entitlements.plist" \
                --sign "$IDENTITY" "$file"
        fi
    done
codesign --force --timestamp --options runtime --entitlements "$here/entitlements.plist" \
    --sign "$IDENTITY" "$app"
codesign --verify --strict --verbose=2 "$app"

version=$(/usr/libexec/PlistBuddy -c "Print CFBundleShortVersionString" "$app/Contents/Info.plist")
dmg="$here/../dist/Lookalike-$version-macos-$(uname -m).dmg"
rm -f "$dmg"
hdiutil create -volname Lookalike -srcfolder "$app" -ov -format UDZO "$dmg"
codesign --force --timestamp --sign "$IDENTITY" "$dmg"
xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
xcrun stapler staple "$dmg"
spctl --assess --type open --context context:primary-signature --verbose "$dmg"
echo "Signed and notarized: $dmg"
