#!/usr/bin/env bash
# Fetches the public-domain sample photos that scikit-image ships (Debian package python3-skimage)
# into .data/test-images/, for the real-image matching tests in tests/Compliance.Imaging.Tests.
# Idempotent: does nothing when the folder already holds them. Needs apt-get and dpkg-deb (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

dest=".data/test-images"
marker="$dest/README.md"
if [ -f "$marker" ] && ls "$dest"/*.png >/dev/null 2>&1; then
  exit 0
fi

# shellcheck source=scripts/lib.sh
. scripts/lib.sh   # apt_download (waits for another installer's lock)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "test-images: downloading Debian package python3-skimage..."
(cd "$work" && apt_download python3-skimage)

deb=$(ls "$work"/python3-skimage_*.deb)
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -x "$deb" "$work/x"

data_dir=$(find "$work/x" -type d -path '*skimage/data' | head -n 1)
if [ -z "$data_dir" ]; then
  echo "test-images: no skimage/data folder in $deb" >&2
  exit 1
fi

mkdir -p "$dest"
# Only the photographs and the classic test images: 8-bit PNG/JPEG, no multi-frame or lab data.
find "$data_dir" -maxdepth 1 -type f \( -name '*.png' -o -name '*.jpg' \) -exec cp {} "$dest/" \;
cat >"$marker" <<MD
Sample images copied from the Debian package python3-skimage $version (scikit-image's skimage/data),
by scripts/test-images.sh. Not committed. The docstrings of skimage.data (in the same package) give each image's origin and licence.
MD
echo "test-images: $(find "$dest" -maxdepth 1 \( -name '*.png' -o -name '*.jpg' \) | wc -l) images from python3-skimage $version in $dest"
