#!/usr/bin/env bash
# Puts the real recordings the audio evaluation uses into .data/test-audio/, taken from Debian packages with
# `apt-get download` + `dpkg-deb -x` (nothing is installed). Each file is checked against its pinned sha256 in the
# package; XBlast's headerless 8-bit songs are then wrapped as WAV with ffmpeg (a stamp beside each records the sha256
# of the source it came from). Idempotent. Provenance and licences: tests/Compliance.Audio.Tests/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=".data/test-audio"
mkdir -p "$dest"

# name in dest | Debian package | path inside the package | sha256 of that path | how to bring it in (copy, or u8-22050: raw unsigned 8-bit mono at 22,050 Hz)
recordings=(
  "xblast-song1.wav|xblast-tnt-musics|usr/share/games/xblast-tnt/sounds/xbsng1.raw|a0e474f72c0ab4ace232c0fd26ddd30ce88dbcd0c6ff1d428d7e3fc93c98657c|u8-22050"
  "xblast-song2.wav|xblast-tnt-musics|usr/share/games/xblast-tnt/sounds/xbsng2.raw|cda4f9d662a223ba190139ff97511a4bf86bf90395e30f17790b553f97e17c9b|u8-22050"
  "xblast-song3.wav|xblast-tnt-musics|usr/share/games/xblast-tnt/sounds/xbsng3.raw|c2bec8391a032c9de7d37de0a0e13379473b173634ca8735c426b42b894192e7|u8-22050"
  "xblast-song4.wav|xblast-tnt-musics|usr/share/games/xblast-tnt/sounds/xbsng4.raw|6b6f71273d11fdad47f96cf2ff3fe00066064be19643eb068ed4a5ec5b278467|u8-22050"
  "xblast-song5.wav|xblast-tnt-musics|usr/share/games/xblast-tnt/sounds/xbsng5.raw|b5160a78d3bf11741fb0011ab0f805f239108c6faee7d1b9026b36ea6c34f440|u8-22050"
  "xblast-song6.wav|xblast-tnt-musics|usr/share/games/xblast-tnt/sounds/xbsng6.raw|384fb91d945c6841a28c49e3dc3550d76398ca4e0454594e8239b240f2c7a203|u8-22050"
  "asc-frontiers.mp3|asc-music|usr/share/games/asc/music/frontiers.mp3|a0b1f65897eb122c1748ba08d5a376029750a1b035bf0202ebbeb9fd0176fd28|copy"
  "asc-machine-wars.mp3|asc-music|usr/share/games/asc/music/machine_wars.mp3|e7b0337656a1dd9c4809bb9a620a015c1bc3898d7dde6ba2e2a0e7c0ce12313b|copy"
  "asc-time-to-strike.mp3|asc-music|usr/share/games/asc/music/time_to_strike.mp3|a330211d1a8ce1ab6ea19cc4a02e207a8cd4cede4f3946f9a0012c7d0523de54|copy"
  "speech-front-center.wav|alsa-utils|usr/share/sounds/alsa/Front_Center.wav|0d61518bcd3f13b0c709a5298e939caf698b80d31d71d50475365ee0e5536cc9|copy"
  "speech-front-left.wav|alsa-utils|usr/share/sounds/alsa/Front_Left.wav|9f97e8458785da2f0aa0ec60bf9cc81520cbf80a4683e83eca9cb5f2958e9fef|copy"
  "speech-front-right.wav|alsa-utils|usr/share/sounds/alsa/Front_Right.wav|1fdea4d7003f1f7d3e48d3521aaab0a112c4ac570b02ddf1813abacac3070f6f|copy"
  "speech-rear-center.wav|alsa-utils|usr/share/sounds/alsa/Rear_Center.wav|9343207e3298813fdc4d26b7948e15a38533c37a9f232c3eff809b565398b330|copy"
  "speech-rear-left.wav|alsa-utils|usr/share/sounds/alsa/Rear_Left.wav|1679e0557701864d55b742a0abd3fe5f50d95b1bfcb55ffad4b597dcc7e3c7b8|copy"
  "speech-rear-right.wav|alsa-utils|usr/share/sounds/alsa/Rear_Right.wav|12828d125f692faa75c7445d52125dcc2c36f82c4f7a3ef49b8ae6afd74ada9d|copy"
  "speech-side-left.wav|alsa-utils|usr/share/sounds/alsa/Side_Left.wav|03dc7c641d7825417d2a261831715e945e95d87343fb037db910e7ce4f87a2a1|copy"
  "speech-side-right.wav|alsa-utils|usr/share/sounds/alsa/Side_Right.wav|ecdd0329945f355960796a56f8126d5080ed93fdd2437c7eaddbbbd56137d7e9|copy"
)

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# A copied file is current when its own sha256 is the pinned one; a converted file when its stamp names the source's.
current() {
  local name=$1 sha=$2 how=$3
  [ -f "$dest/$name" ] || return 1
  if [ "$how" = copy ]; then
    [ "$(sha_of "$dest/$name")" = "$sha" ]
  else
    [ "$(cat "$dest/.$name.source-sha256" 2>/dev/null)" = "$sha" ]
  fi
}

missing=()
for entry in "${recordings[@]}"; do
  IFS='|' read -r name pkg path sha how <<<"$entry"
  current "$name" "$sha" "$how" || missing+=("$entry")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

# shellcheck source=scripts/lib.sh
. scripts/lib.sh   # debian_file (apt_download waits for another installer's lock)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # apt-get download drops privileges to _apt when it can

for entry in "${missing[@]}"; do
  IFS='|' read -r name pkg path sha how <<<"$entry"
  file=$(debian_file "$work" "$pkg" "$path" "$sha" test-audio)
  case "$how" in
    copy) cp "$file" "$dest/$name" ;;
    u8-22050)
      ffmpeg -nostdin -v error -y -f u8 -ar 22050 -ac 1 -i "$file" -c:a pcm_s16le "$dest/$name"
      echo "$sha" >"$dest/.$name.source-sha256" ;;
    *) echo "test-audio: unknown conversion $how" >&2; exit 1 ;;
  esac
done
echo "test-audio: recordings in $dest"
