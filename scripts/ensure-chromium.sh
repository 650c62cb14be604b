#!/usr/bin/env bash
# Makes sure a headless Chromium is installed for the dashboard's browser
# test (dashboard/browser_test.go, driven with chromedp). Installs
# Debian's package when missing. Safe to run repeatedly.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "Chromium is installed"
  exit 0
fi
echo "installing chromium"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "chromium did not install" >&2; exit 1; }
echo "Chromium is installed"
