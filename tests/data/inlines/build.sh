#!/bin/sh
# Rebuilds the test binaries (gcc 12, Debian 12). Their addr2line answers are in
# answers.json (made by mkanswers.py with binutils 2.40's addr2line).
set -e
cd "$(dirname "$0")"
gcc -O2 -g -fno-omit-frame-pointer -o inl inl.c
gcc -O2 -gdwarf-4 -fno-omit-frame-pointer -o inl-dwarf4 inl.c
g++ -O2 -g -fno-omit-frame-pointer -o inlcc inlcc.cc
# inl without symbols or DWARF, which addr2line finds in inl-stripped.debug (.gnu_debuglink)
objcopy --only-keep-debug inl inl-stripped.debug
objcopy --strip-all --add-gnu-debuglink=inl-stripped.debug inl inl-stripped
