#!/usr/bin/env bash
# Installs the tools the end-to-end tests drive: from Debian's packages the
# AWS CLI v2 (Debian's awscli) and Chromium; from the npm registry the JS
# SDK (e2e/js, pinned by package-lock.json). Boto3 and the AWS CLI v1 come
# with the machine's Python. Idempotent.
set -euo pipefail

need=()
[ -x /usr/bin/aws ] && /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2\.' || need+=(awscli)
# The console's browser tests (e2e/console_test.go) drive headless Chromium.
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" >/dev/null
fi
# The JS SDK end-to-end tests (e2e/js): exact versions from package-lock.json.
if command -v npm >/dev/null; then
  (cd "$(dirname "$0")/../e2e/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
else
  echo 'deps: warning: npm is not installed; the JS SDK tests will fail under CI'
fi
python3 -c 'import boto3' 2>/dev/null || echo 'deps: warning: boto3 is not importable; the boto3 tests will fail under CI'
echo "deps: ok ($(/usr/bin/aws --version 2>&1 | cut -d' ' -f1))"
