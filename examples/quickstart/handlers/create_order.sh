#!/bin/sh
# Reads an order as JSON on stdin and answers with the stored order.
payload=$(cat)
echo "order stored: $payload" >&2
sku=$(printf '%s' "$payload" | sed -n 's/.*"sku":"\([^"]*\)".*/\1/p')
qty=$(printf '%s' "$payload" | sed -n 's/.*"qty":\([0-9]*\).*/\1/p')
printf '{"id":"ord-42","status":"created","sku":"%s","qty":%s}\n' "$sku" "$qty"
