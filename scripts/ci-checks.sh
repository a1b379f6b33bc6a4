#!/usr/bin/env bash
# The checks every pull request runs before `pulumi preview`: clean install, then `npm test` (typecheck, lint, tests).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm ci
npm test
