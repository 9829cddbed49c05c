#!/bin/sh
# An exec handler for the kedascale worker (`work --handler exec -- /handler/handler.sh`): one process per message.
# POSIX sh and coreutils only, so it runs in the worker's own image (Debian bookworm) with nothing added.
#
# In:  the message body on stdin, bytes unchanged; its CloudEvents attributes in the environment (consumer/src/runtime/
#      cloudEvent.ts): CE_ID (the broker's message id, the idempotency key), CE_SOURCE, CE_TYPE, CE_TIME,
#      CE_SPECVERSION, CE_DELIVERYCOUNT, CE_CONTENT_TYPE. No KEDASCALE_* variable reaches it (the worker's settings).
# Out: exit 0   done: the worker completes the message;
#      exit 65  never processable (EX_DATAERR, sysexits.h; the worker's PARK_EXIT_CODE): the worker parks it with the
#               end of stderr as the reason, so the reason is the last line written to stderr;
#      other    a failure that may pass (75, EX_TEMPFAIL, here): the worker retries it with a growing backoff.
#      stdout and stderr go to the worker's log. A process still running at the worker's --handler-timeout-ms is
#      killed with its whole process group, and the message retried.
#
# The business logic (replace it with yours): keep each message's body and its SHA-256 under RESULTS_DIR, once per
# message id. Bodies that are empty, over MAX_BODY_BYTES or of a content type it does not take are parked.
# Environment: RESULTS_DIR (/tmp/results: mount a volume there; the pod's root filesystem is read-only),
# MAX_BODY_BYTES (1048576).
set -u

PARK=65
TEMPFAIL=75
park() { echo "$*" >&2; exit "$PARK"; }
retry() { echo "$*" >&2; exit "$TEMPFAIL"; }

dir=${RESULTS_DIR:-/tmp/results}
max=${MAX_BODY_BYTES:-1048576}

# Without an id the worker did not start this process: no message to park, so a failure (retried, and seen in the log).
[ -n "${CE_ID:-}" ] || retry "CE_ID is not set: run by the kedascale worker (--handler exec), one message per process"
case "$max" in '' | *[!0-9]*) retry "MAX_BODY_BYTES=$max is not a number of bytes" ;; esac

case "${CE_CONTENT_TYPE:-application/octet-stream}" in
    text/* | application/json* | application/octet-stream*) ;;
    *) park "UnsupportedContentType: $CE_CONTENT_TYPE (takes text/*, application/json, application/octet-stream)" ;;
esac
# The id names files: one path segment of safe characters (Storage ids are GUIDs; Service Bus ids are the sender's).
case "$CE_ID" in
    .* | *[!A-Za-z0-9._:-]*) park "UnsupportedId: message id '$CE_ID' cannot name a file (letters, digits, . _ : - only, not starting with .)" ;;
esac

if [ -e "$dir/$CE_ID.sha256" ]; then
    # At-least-once: a redelivery of a message already done is done.
    echo "{\"msg\":\"already done\",\"id\":\"$CE_ID\",\"deliveryCount\":\"${CE_DELIVERYCOUNT:-}\"}"
    exit 0
fi
mkdir -p "$dir" 2>/dev/null || retry "cannot create RESULTS_DIR $dir"
tmp="$dir/.$CE_ID.$$"
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" 2>/dev/null || retry "cannot write under RESULTS_DIR $dir"

size=$(wc -c < "$tmp" | tr -d ' ')
[ "$size" -gt 0 ] || park "EmptyBody: the message has no body"
[ "$size" -le "$max" ] || park "Oversize: body is $size bytes, over MAX_BODY_BYTES=$max"
sum=$(sha256sum < "$tmp" | cut -d ' ' -f 1) || retry "sha256sum failed"

# Body first, the checksum last: the checksum file is the "done" mark, written only once the body is in place.
mv -f "$tmp" "$dir/$CE_ID.body" || retry "cannot store the body"
printf '%s  %s\n' "$sum" "$size" > "$dir/.$CE_ID.sha256.$$" && mv -f "$dir/.$CE_ID.sha256.$$" "$dir/$CE_ID.sha256" || retry "cannot store the checksum"
echo "{\"msg\":\"done\",\"id\":\"$CE_ID\",\"bytes\":$size,\"sha256\":\"$sum\",\"deliveryCount\":\"${CE_DELIVERYCOUNT:-}\"}"
exit 0
