#!/bin/sh
# deps.sh: the dependency step of "make run" and "make check". Makes sure
# the packages needed to build, run and test Pochta are installed. Silent
# and quick when nothing is missing; as root on Debian/Ubuntu it installs
# what is missing, otherwise it says what to install and fails.
set -e

# mailutils: its "mail" command is the end-to-end test of sendmail (bsd-mailx
# would pull in another mail system; mailutils only recommends one, and
# --no-install-recommends leaves it out). clang and libclang-rt-dev (its
# libFuzzer and sanitizer runtimes, only recommended by clang): make fuzz.
# fetchmail: a real POP3 client fetching from pop3d in the integration tests.
PACKAGES="build-essential pkg-config libssl-dev libdb-dev libsasl2-dev
libsasl2-modules sasl2-bin check python3 python3-pytest openssl curl swaks
mailutils clang libclang-rt-dev fetchmail"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install by hand: a C11 compiler and make," \
	     "pkg-config, OpenSSL, Berkeley DB (libdb), Cyrus SASL (libsasl2 and its" \
	     "plugins), Check, Python 3 with pytest, curl, swaks" >&2
	if pkg-config --exists libssl libsasl2 check; then
		exit 0
	fi
	echo "deps: pkg-config cannot find libssl, libsasl2 and check" >&2
	exit 1
fi

# One query for all; "ii" marks an installed package.
installed=$(dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' $PACKAGES 2>/dev/null |
	sed -n 's/^ii *//p') || true
installed=" $(echo $installed) "
missing=
for p in $PACKAGES; do
	case "$installed" in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

install_cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: install them as root with:" >&2
	echo "  $install_cmd" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive $install_cmd -qq
