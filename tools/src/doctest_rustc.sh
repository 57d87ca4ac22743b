#!/bin/sh
# The compiler rustdoc uses for the chapters' code blocks under
# `cargo book mdbook-test` (tools/src/mdbook_test.rs), run by rustdoc as
#
#     doctest-rustc RUSTC ARGS...
#
# A block compiled once is not compiled again while nothing it is built
# from has changed: its source, rustc's arguments (rustdoc's temporary
# paths aside), the compiler and the crates it links, known by size and
# mtime as cargo knows them. The program itself still runs every time:
# only its compilation is skipped. Failures are not kept, so a block
# that does not compile (a compile_fail block, or a broken one) is
# compiled again, and its errors reach rustdoc each time.
set -eu

rustc="$1"
shift
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
key="$scratch/key"
stat -c 'compiler %s %Y' "$(command -v "$rustc")" >"$key"

# Walk the arguments once: note the output, add each input to the key,
# and rebuild the list with the one change below.
out_file=
out_dir=
previous=
count=$#
for arg in "$@"; do
    case "$arg" in
    # rustdoc passes on its own `-Z unstable-options` (it needs it to
    # take this wrapper); the blocks are compiled as stable rustc would.
    @*)
        grep -v '^-Zunstable-options$' "${arg#@}" >"$scratch/options" || true
        cat "$scratch/options" >>"$key"
        arg="@$scratch/options"
        ;;
    # The source, on stdin...
    -)
        cat >"$scratch/source.rs"
        cat "$scratch/source.rs" >>"$key"
        ;;
    # ... or in a file (rustdoc's bundle of merged blocks).
    *.rs) cat "$arg" >>"$key" ;;
    # A crate by path, `--extern name=PATH`: rustdoc's bundle of merged
    # blocks, just made, by its content; the others by size and mtime.
    *=/tmp/*) sha256sum "${arg#*=}" | cut -c1-64 >>"$key" ;;
    *=/*) stat -c '%s %Y' "${arg#*=}" >>"$key" 2>/dev/null || true ;;
    esac
    # Where the output goes is no part of what it is.
    case "$previous" in
    -o) out_file="$arg" ;;
    --out-dir) out_dir="$arg" ;;
    *) printf '%s\n' "$arg" | sed -e 's|/tmp/[.A-Za-z0-9_]*|TMP|g' >>"$key" ;;
    esac
    previous="$arg"
    set -- "$@" "$arg"
done
shift "$count"

entry="$BOOK_DOCTEST_CACHE/$(sha256sum "$key" | cut -c1-32)"
if [ -d "$entry" ]; then
    if [ -n "$out_file" ]; then
        if [ -f "$entry/output" ]; then cp "$entry/output" "$out_file"; fi
    else
        cp "$entry"/* "$out_dir"/
    fi
    exit 0
fi

# RUSTC_BOOTSTRAP let rustdoc take this wrapper; the blocks get none.
if [ -f "$scratch/source.rs" ]; then
    env -u RUSTC_BOOTSTRAP "$rustc" "$@" <"$scratch/source.rs"
else
    env -u RUSTC_BOOTSTRAP "$rustc" "$@"
fi

# Kept only once complete: written aside, then renamed into place, so a
# block compiled by two runs at once is never half there.
mkdir -p "$BOOK_DOCTEST_CACHE"
aside=$(mktemp -d "$BOOK_DOCTEST_CACHE/.new.XXXXXX")
if [ -n "$out_file" ]; then
    # (`--emit=metadata`, for a block only compiled, may leave none.)
    if [ -f "$out_file" ]; then cp "$out_file" "$aside/output"; fi
else
    cp "$out_dir"/*.rlib "$aside"/
fi
mv -T "$aside" "$entry" 2>/dev/null || rm -rf "$aside"
