#!/bin/sh
# Runs interop_test.py with Debian's interpreter: python3 on PATH lacks
# PyJWT and jwcrypto (TOOLCHAIN.md).
set -eu
exec /usr/bin/python3 "$2" "$1"
