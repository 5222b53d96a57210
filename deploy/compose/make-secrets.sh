#!/bin/sh
# Makes the secrets compose.yaml reads, once: the MongoDB root password,
# the program's database password and its connection string, and
# KNS_SECRET_KEY, which seals the credential signing keys. Files that
# exist are kept: a new KNS_SECRET_KEY would leave the stored signing
# keys sealed with the old one. Keep a copy of secrets/ somewhere safe.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets tls
chmod 0700 secrets
make() { [ -s "secrets/$1" ] || openssl rand -hex "$2" > "secrets/$1"; }
make mongo_root_password 24
make kns_db_password 24
make kns_secret_key 32
printf 'mongodb://kynangso:%s@mongo1:27017,mongo2:27017,mongo3:27017/kynangso?replicaSet=rs0&authSource=kynangso\n' \
  "$(cat secrets/kns_db_password)" > secrets/kns_mongodb_uri
# Mounted into containers that run as other users (mongodb 999, the
# program 65532): readable inside; the folder keeps them from other
# users of this machine.
chmod 0644 secrets/*
echo "secrets made in $(pwd)/secrets; put the TLS certificate in tls/fullchain.pem and tls/privkey.pem"
