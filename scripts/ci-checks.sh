#!/usr/bin/env bash
# The checks every pull request runs before `pulumi preview`: clean install, lint, typecheck, tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm ci
npm run lint
npm run typecheck
npm test
