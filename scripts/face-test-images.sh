#!/usr/bin/env bash
# Puts the real photos the face tests and the calibration use into .data/test-images/faces/, taken from
# Debian packages with `apt-get download` + `dpkg-deb -x` (nothing is installed). Idempotent: a file already
# present with its pinned sha256 is left alone. Provenance and licences: tests/Compliance.Faces.Tests/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=".data/test-images/faces"
mkdir -p "$dest"

# name in dest | Debian package | path inside the package | sha256
images=(
  "astronaut.png|python3-skimage|usr/lib/python3/dist-packages/skimage/data/astronaut.png|88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
  "camera.png|python3-skimage|usr/lib/python3/dist-packages/skimage/data/camera.png|b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"
  "coffee.png|python3-skimage|usr/lib/python3/dist-packages/skimage/data/coffee.png|cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"
  "grace_hopper.jpg|python-matplotlib-data|usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg|a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130"
  "basketball1.png|opencv-doc|usr/share/doc/opencv-doc/examples/data/basketball1.png|ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6"
)

missing=()
for entry in "${images[@]}"; do
  IFS='|' read -r name pkg path sha <<<"$entry"
  if [ ! -f "$dest/$name" ] || [ "$(sha256sum "$dest/$name" | cut -d' ' -f1)" != "$sha" ]; then
    missing+=("$entry")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

# shellcheck source=scripts/lib.sh
. scripts/lib.sh   # debian_file (apt_download waits for another installer's lock)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # apt-get download drops privileges to _apt when it can

for entry in "${missing[@]}"; do
  IFS='|' read -r name pkg path sha <<<"$entry"
  file=$(debian_file "$work" "$pkg" "$path" "$sha" face-test-images)
  cp "$file" "$dest/$name"
done
echo "face-test-images: images in $dest"
