#!/bin/sh
# Java for the review's Spark tests (pyspark 4.0 runs on Java 17): Debian's headless runtime, as chromium comes
# from Debian too. Nothing to do where a Java is already installed.
set -eu
if command -v java >/dev/null 2>&1; then
    java -version 2>&1 | head -1
    exit 0
fi
APT="apt-get -qq -o DPkg::Lock::Timeout=600"  # waits for another apt (chromium's) to finish
$APT update
DEBIAN_FRONTEND=noninteractive $APT install -y --no-install-recommends openjdk-17-jre-headless
java -version 2>&1 | head -1
