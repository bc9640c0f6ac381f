#!/bin/sh
# Looks an order up by id.
payload=$(cat)
id=$(printf '%s' "$payload" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
if [ -z "$id" ]; then
  echo "no id in $payload" >&2
  exit 1
fi
printf '{"id":"%s","found":true}\n' "$id"
