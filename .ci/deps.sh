#!/usr/bin/env bash
# Installs the tools the end-to-end tests drive, from Debian's packages:
# the AWS CLI v2 (Debian's awscli). Boto3 and the AWS CLI v1 come with the
# machine's Python. Idempotent.
set -euo pipefail

need=()
[ -x /usr/bin/aws ] && /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2\.' || need+=(awscli)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import boto3' 2>/dev/null || echo 'deps: warning: boto3 is not importable; the boto3 tests will fail under CI'
echo "deps: ok ($(/usr/bin/aws --version 2>&1 | cut -d' ' -f1))"
