#!/usr/bin/env bash
# Fetches the public-domain sample photos that scikit-image ships (Debian package python3-skimage)
# into .data/test-images/, for the real-image matching tests in tests/Compliance.Imaging.Tests, and the held-out
# set of the image evaluation (pinned photos from Debian's opencv-doc) into .data/test-images/heldout/.
# Idempotent: does nothing when the folders already hold them. Needs apt-get and dpkg-deb (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

dest=".data/test-images"
marker="$dest/README.md"

# shellcheck source=scripts/lib.sh
. scripts/lib.sh   # apt_download (waits for another installer's lock)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # apt-get download drops privileges to _apt when it can

# The held-out set of the image evaluation (docs/evaluation.md): photos the image-matching thresholds were never tuned
# on, and unrelated pictures to paste them into, from Debian's opencv-doc (main, DFSG-free). Pinned by sha256.
heldout="$dest/heldout"
heldout_images=(
  "baboon.jpg|1a1dd18d78eec44420af3b0b7f08ee3d41c982916cae3ce203d7ff35d754cc0f"
  "building.jpg|742a1baad62ac82e91e718e77eedf7e85c2eddc4badfb8c87c6cbc86c45a8b07"
  "butterfly.jpg|34a99716b78ded10eae87b4880de739d3e68cc7dd1a96812bb28f469d5eeaea8"
  "fruits.jpg|9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1"
  "home.jpg|23b8cf46a1965d0ec33459b875aed43187802834db49e0daa9fa2cc842e9d8d2"
  "orange.jpg|152c20d2f380ac985de25e474e1a5f06ed34b932191342099b8272a63a15a079"
  "apple.jpg|e86879de3d9a807dedc742a8f464f39e6b74bbb531a1fba3583155d94997d1cd"
  "starry_night.jpg|accda7a19a90f22a4a922fdc8c230167d7abf5f80882171e2cee125c5f12481d"
  "smarties.png|ad3f751c053fdcf432687c1bc0e56a61a9119d2bb2ae29365f8aa6534fc77417"
  "board.jpg|4c9a24ba67138ad5486d550f586cc5dd1161be112f1c1bea336d6c550cdf255f"
  "squirrel_cls.jpg|20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b"
  "graf1.png|1504b769303c7bde00fa578eeaad3c68e02aceabeb1242e556f1f8d19e4bdea5"
  "messi5.jpg|1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9"
  "basketball1.png|ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6"
  "aloeL.jpg|cce5736808efe80d9f04b118dbb978c344d4345672b332718c3e039a3eeb8eee"
  "rubberwhale1.png|eb312435369dac9efcc92f7e098edbd9ed8d7e6dfede8b3b4d8e3702cd80b796"
  "leuvenA.jpg|b2977cdbd9fb3f94dadd6f76cf586d145676deb8a22b5f0f42149d21c058c09f"
  "aero1.jpg|d9a69191f6e3642ea361bc3c62e677b2f40fe6534b78da540f4155e0734b59ef"
  "chicky_512.png|4d2cf040de084fd3f34d5e3f96f1251faaa4787c1ac3b548fec5809a0d01854e"
  "stuff.jpg|21cd00afbdd0727f445dd91c0a09633e6345ed5b05a3d2355453a1f3c314c6c5"
  "Blender_Suzanne1.jpg|bc3330e78e3456688e22b62fe033b8b2444fd016df567b1782bcc9baaead8e02"
  "cards.png|3721e83d1d54b1c2867cc9924f06112dba28cb7a54149938ad065999dec39235"
  "pic2.png|8c32d76f17c2eca78a1402fd1bb48144785e5397ff5a24de68c36b0f76b1f055"
  "sudoku.png|000cf81b7ce795013ae02bc9dfb0952aa34153c8c0e7fc99c81918e0738d1f09"
  "ela_original.jpg|b55798b35e2dcb24675f0865a2442d0e4887eeb6aff322ecb1968d936cc23e7f"
)
heldout_missing=0
for entry in "${heldout_images[@]}"; do
  IFS='|' read -r name sha <<<"$entry"
  if [ ! -f "$heldout/$name" ] || [ "$(sha256sum "$heldout/$name" | cut -d' ' -f1)" != "$sha" ]; then
    heldout_missing=1
  fi
done
if [ "$heldout_missing" -eq 1 ]; then
  echo "test-images: downloading Debian package opencv-doc (held-out images)..."
  (cd "$work" && apt_download opencv-doc)
  dpkg-deb -x "$work"/opencv-doc_*.deb "$work/opencv"
  mkdir -p "$heldout"
  for entry in "${heldout_images[@]}"; do
    IFS='|' read -r name sha <<<"$entry"
    file="$work/opencv/usr/share/doc/opencv-doc/examples/data/$name"
    actual=$(sha256sum "$file" | cut -d' ' -f1)
    if [ "$actual" != "$sha" ]; then
      echo "test-images: opencv-doc:$name has sha256 $actual, expected $sha" >&2
      exit 1
    fi
    cp "$file" "$heldout/$name"
  done
  echo "test-images: ${#heldout_images[@]} held-out images from opencv-doc in $heldout"
fi

if [ -f "$marker" ] && ls "$dest"/*.png >/dev/null 2>&1; then
  exit 0
fi

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
