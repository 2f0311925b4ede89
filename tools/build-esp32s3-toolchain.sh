#!/usr/bin/env bash
# Builds an xtensa-esp32s3-elf cross toolchain (binutils, GCC with C and C++,
# newlib) from sources the user supplies, for compiling firmware/esp32s3 where
# Espressif's prebuilt toolchain cannot be installed. Nothing here is
# downloaded; nothing built here belongs in the repository.
#
# Sources (Debian 12 names in brackets):
#   --binutils TARBALL   binutils 2.40        [binutils-source: /usr/src/binutils]
#   --gcc TARBALL        GCC 12.2             [gcc-12-source: /usr/src/gcc-12; its
#                        patches/gcc-gfdl-build.diff is applied to the dfsg
#                        tarball, which has no manuals]
#   --newlib DIR         newlib with the Xtensa port (Espressif's newlib-esp32,
#                        e.g. tag esp-4.1.0_20230208, the C library of the
#                        toolchain ESP-IDF 5.1 ships with GCC 12.2); Debian's
#                        newlib-source has no Xtensa port
#   --overlay DIR        the esp32s3 core configuration: xtensa_esp32s3 of
#                        Espressif's xtensa-overlays
#   --work DIR           where sources are unpacked and built
#   --prefix DIR         where the toolchain is installed (bin/xtensa-esp32s3-elf-*)
#   --jobs N             make -j (default 2)
#   --host-cflags FLAGS  how the compiler itself is compiled (default GCC's own,
#                        -g -O2); "-O1" builds it in about half the time
#
# Stages, each skipped when its stamp file exists in --work:
#   binutils   gas, ld, binutils with the overlay's xtensa-modules.c and
#              xtensa-config.h (assembles the S3's PIE instructions)
#   gcc        one combined tree: GCC + newlib + libgloss, C and C++, libgcc,
#              newlib's libc/libm and libstdc++ in one configure and make; then
#              a specs file that links for ESP-IDF instead of Cadence's simulator
#
# Checked on Debian 12 (2 shared cores): binutils ~8 min, the gcc stage ~70 min
# with --host-cflags -O1; ESP-IDF v5.1.6 then builds firmware/esp32s3 for
# IDF_TARGET=esp32s3 (IDF_MAINTAINER=1 for its toolchain version check; see
# firmware/esp32s3/README.md).
#
# The configuration follows what Espressif publishes for its own build of this
# toolchain (crosstool-NG's xtensa-esp32s3-elf sample): -mlongcalls for the
# target libraries, POSIX threads model (ESP-IDF's pthread component supplies
# it), newlib with retargetable locking, small reent, nano malloc, C99 and
# long long formats, no supplied syscalls. Not --enable-libstdcxx-time=yes:
# its configure tests need to link, which a combined tree cannot yet do.
# It is not Espressif's toolchain: upstream GCC lacks Espressif's Xtensa
# patches (no per-chip multilibs), and ESP-IDF 6.x wants GCC 16 (-std=gnu23,
# -std=gnu++26); ESP-IDF 5.1 is the release built with GCC 12.2.
set -euo pipefail

BINUTILS_TARBALL=/usr/src/binutils/binutils-2.40.tar.xz
GCC_TARBALL=/usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz
NEWLIB_SRC=
OVERLAY=
WORK=
PREFIX=
JOBS=2
HOST_CFLAGS=
TARGET=xtensa-esp32s3-elf

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --binutils) BINUTILS_TARBALL=$2; shift 2 ;;
    --gcc) GCC_TARBALL=$2; shift 2 ;;
    --newlib) NEWLIB_SRC=$2; shift 2 ;;
    --overlay) OVERLAY=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --host-cflags) HOST_CFLAGS=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done

fail() { echo "build-esp32s3-toolchain: $*" >&2; exit 1; }
[[ -n "$WORK" && -n "$PREFIX" && -n "$NEWLIB_SRC" && -n "$OVERLAY" ]] ||
  fail "--newlib, --overlay, --work and --prefix are required (--help)"
[[ -f "$BINUTILS_TARBALL" ]] || fail "no binutils tarball at $BINUTILS_TARBALL"
[[ -f "$GCC_TARBALL" ]] || fail "no GCC tarball at $GCC_TARBALL"
[[ -d "$NEWLIB_SRC/newlib/libc/sys/xtensa" ]] ||
  fail "$NEWLIB_SRC has no newlib/libc/sys/xtensa: not a newlib with the Xtensa port"
[[ -f "$OVERLAY/binutils/bfd/xtensa-modules.c" && -f "$OVERLAY/gcc/include/xtensa-config.h" ]] ||
  fail "$OVERLAY is not an xtensa-overlays core directory (xtensa_esp32s3)"

mkdir -p "$WORK" "$PREFIX"
WORK=$(cd "$WORK" && pwd)
PREFIX=$(cd "$PREFIX" && pwd)
OVERLAY=$(cd "$OVERLAY" && pwd)
NEWLIB_SRC=$(cd "$NEWLIB_SRC" && pwd)
export PATH="$PREFIX/bin:$PATH"

# Unpacks a tarball into $WORK/src/<name> (its single top directory renamed).
unpack() {
  local tarball=$1 name=$2
  [[ -d "$WORK/src/$name" ]] && return
  mkdir -p "$WORK/src/tmp-$name"
  tar -xf "$tarball" -C "$WORK/src/tmp-$name"
  mv "$WORK/src/tmp-$name"/* "$WORK/src/$name"
  rmdir "$WORK/src/tmp-$name"
}

stage_binutils() {
  unpack "$BINUTILS_TARBALL" binutils
  cp -p "$OVERLAY/binutils/bfd/xtensa-modules.c" "$WORK/src/binutils/bfd/"
  cp -p "$OVERLAY/binutils/include/xtensa-config.h" "$WORK/src/binutils/include/"
  mkdir -p "$WORK/build/binutils"
  cd "$WORK/build/binutils"
  "$WORK/src/binutils/configure" --target="$TARGET" --prefix="$PREFIX" \
    --disable-gdb --disable-gdbserver --disable-sim --disable-werror --disable-nls \
    --disable-gprofng --disable-multilib
  make -j"$JOBS" all-gas all-binutils all-ld
  make install-gas install-binutils install-ld
}

stage_gcc() {
  unpack "$GCC_TARBALL" gcc
  local src="$WORK/src/gcc"
  # Debian's tarball (gcc-*-dfsg) leaves out the GFDL manuals, tm.texi.in
  # among them, which the build regenerates documentation from: Debian's own
  # gcc-gfdl-build.diff replaces that step with a copy.
  if [[ $(wc -l < "$src/gcc/doc/tm.texi.in") -lt 10 ]] &&
     ! grep -q 'cat $(srcdir)/doc/tm.texi.in > tmp-tm.texi' "$src/gcc/Makefile.in"; then
    local gfdl_patch
    gfdl_patch="$(dirname "$GCC_TARBALL")/patches/gcc-gfdl-build.diff"
    [[ -f "$gfdl_patch" ]] || fail "$src has no GCC manuals and there is no $gfdl_patch to build without them"
    patch -p2 -d "$src" < "$gfdl_patch"
  fi
  # -p: a new timestamp on this header would make a resumed build recompile all of GCC.
  cp -p "$OVERLAY/gcc/include/xtensa-config.h" "$src/include/"
  # newlib and libgloss join the GCC tree: one build gives libgcc, the C
  # library and libstdc++ compiled by the same new compiler.
  rm -rf "$src/newlib" "$src/libgloss"
  cp -a "$NEWLIB_SRC/newlib" "$NEWLIB_SRC/libgloss" "$src/"
  cp -p "$OVERLAY/newlib/newlib/libc/sys/xtensa/include/xtensa/config/core-isa.h" \
    "$src/newlib/libc/sys/xtensa/include/xtensa/config/core-isa.h"
  mkdir -p "$WORK/build/gcc"
  cd "$WORK/build/gcc"
  # Configured once: an interrupted build resumes where make stopped.
  [[ -f Makefile ]] || CFLAGS_FOR_TARGET="-mlongcalls -O2 -g" CXXFLAGS_FOR_TARGET="-mlongcalls -O2 -g -ffunction-sections" \
  "$src/configure" --target="$TARGET" --prefix="$PREFIX" \
    --enable-languages=c,c++ --with-newlib --disable-shared --disable-nls \
    --disable-multilib --disable-libssp --disable-libquadmath --disable-libgomp \
    --disable-libatomic --disable-libitm --disable-libsanitizer --disable-libcc1 \
    --disable-lto --enable-threads=posix --disable-libstdcxx-verbose \
    --enable-cxx-flags=-ffunction-sections \
    --disable-newlib-supplied-syscalls --enable-newlib-reent-small \
    --enable-newlib-retargetable-locking --enable-newlib-nano-malloc \
    --enable-newlib-io-c99-formats --enable-newlib-io-long-long --enable-newlib-io-float \
    --enable-newlib-io-pos-args --disable-newlib-wide-orient --enable-newlib-iconv
  local host_flags=()
  [[ -n "$HOST_CFLAGS" ]] && host_flags=(CFLAGS="$HOST_CFLAGS" CXXFLAGS="$HOST_CFLAGS")
  make -j"$JOBS" "${host_flags[@]}" all-gcc
  chain_limits_h "$src" gcc/include-fixed
  make -j"$JOBS" "${host_flags[@]}"
  make install
  write_specs
}

# Upstream GCC links xtensa-elf programs for Cadence's simulator (crt1-sim.o,
# _vectors.o, -lsim, -lhandlers-sim, -lhal), none of which exists here:
# CMake's first test link, and every ESP-IDF link, fail. ESP-IDF brings its
# own entry point and linker scripts; the C library and the C++ init/fini
# frames are all a link needs from the toolchain. A specs file beside libgcc
# replaces the built-in specs.
write_specs() {
  local gcc="$PREFIX/bin/$TARGET-gcc" libdir
  libdir=$("$gcc" -print-libgcc-file-name)
  libdir=$(dirname "$libdir")
  [[ -f "$libdir/specs" ]] && return
  "$gcc" -dumpspecs | awk '
    /^\*startfile:$/ { print; getline; print "crti%O%s crtbegin%O%s"; next }
    /^\*lib:$/ { print; getline; print "-lc"; next }
    { print }' > "$libdir/specs.tmp"
  mv "$libdir/specs.tmp" "$libdir/specs"
}

# GCC's limits.h chains to the C library's (which has PATH_MAX and friends)
# only when the library's headers were installed before GCC was built, which a
# combined tree never has: newlib's own build then fails (collate.c: PATH_MAX
# undeclared). Rebuild it the way GCC does when the headers are present.
chain_limits_h() {
  local src=$1 dir=$2
  grep -q _GCC_NEXT_LIMITS_H "$dir/limits.h" && return
  cat "$src/gcc/limitx.h" "$src/gcc/glimits.h" "$src/gcc/limity.h" > "$dir/limits.h"
  cp "$src/gcc/gsyslimits.h" "$dir/syslimits.h"
}

run_stage() {
  local name=$1
  current_stage=$name
  if [[ -f "$WORK/stamp-$name" ]]; then
    echo "== $name: done already ($WORK/stamp-$name)"
    return
  fi
  echo "== $name: $(date -u +%H:%M:%S)"
  "stage_$name"
  touch "$WORK/stamp-$name"
  echo "== $name: finished $(date -u +%H:%M:%S)"
}

current_stage=
# One line at the end whatever happens: which stage failed, or that both were done.
trap 'rc=$?; [[ $rc -ne 0 && -n $current_stage ]] &&
  echo "build-esp32s3-toolchain: stage $current_stage failed (exit $rc); log above"' EXIT
run_stage binutils
run_stage gcc
current_stage=
echo "toolchain in $PREFIX/bin:"
"$PREFIX/bin/$TARGET-gcc" --version | head -1
echo "build-esp32s3-toolchain: 2 stages done (binutils, gcc), 0 failed; $PREFIX/bin/$TARGET-gcc"
