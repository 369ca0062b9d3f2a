#!/usr/bin/env bash
# System packages hotline needs on Debian 12, installed as root; safe to run again (no-op when present).
#   debootstrap  builds the Asterisk sandbox root (Debian unstable chroot with Asterisk 22)
#   util-linux   unshare, to run the sandbox in private PID and mount namespaces
#   espeak-ng, sox  default voice prompts and test audio
#   chromium, chromium-driver  browser tests of the agent desktop
#   fonts-wqy-zenhei  CJK glyphs, so browser screenshots of the (Chinese) agent page are legible
#   openssl      the DTLS certificate of the sandbox's WebRTC endpoints
#   nodejs, npm  fetch and bundle the agent page's SIP stack (JsSIP); skipped when npm is already
#                installed (e.g. a NodeSource nodejs, which ships its own npm and conflicts with Debian's)
set -euo pipefail

PACKAGES=(debootstrap util-linux espeak-ng sox chromium chromium-driver fonts-wqy-zenhei openssl)
if ! command -v npm >/dev/null 2>&1; then
    PACKAGES+=(nodejs npm)
fi
# kamailio (+ websocket, tls modules): the SIP front over several Asterisk nodes (hotline kamailio up);
# sip-tester: SIPp, the carrier and phone of the cluster tests
PACKAGES+=(kamailio kamailio-websocket-modules kamailio-tls-modules sip-tester)

# nginx-light: checks the TLS reverse-proxy example (docker/tls/nginx.conf) with nginx's own parser
PACKAGES+=(nginx-light)
# coturn: the TURN server of browser phones behind NAT (hotline turn up); iptables (+ iproute2's ip):
# the NATed remote-seat test (network namespaces with MASQUERADE)
PACKAGES+=(coturn iptables iproute2)

if [[ $(id -u) -ne 0 ]]; then
    echo "setup-system.sh: run as root (it installs Debian packages)" >&2
    exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ $status != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "setup-system.sh: all system packages present"
    exit 0
fi

echo "setup-system.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The Debian kamailio package enables a system-wide Kamailio (port 5060, the Asterisk sandbox's default SIP
# port) where systemd runs; hotline runs its own (hotline kamailio up), so the system one is switched off.
if [[ -d /run/systemd/system ]] && systemctl is-enabled --quiet kamailio 2>/dev/null; then
    systemctl disable --now kamailio
fi

# Debian's coturn unit starts a TURN server from the package's /etc/turnserver.conf, which configures no
# authentication; the project runs its own (hotline turn up), so the unit stays off.
if [[ " ${missing[*]} " == *" coturn "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now coturn.service >/dev/null 2>&1 || true
fi
