#!/usr/bin/env bash
# Obrol set-up: installs what is missing (Debian/Ubuntu, with apt), builds, then runs or tests.
#   bash vendor/bootstrap.sh run [obrol flags]  build and start Obrol (GUI host when a display
#                                               exists, otherwise the headless server)
#   bash vendor/bootstrap.sh test               build and run every test suite (GUI ones under Xvfb)
#   bash vendor/bootstrap.sh build              only build (into ./build, or $OBROL_BUILD_DIR)
# Elsewhere (Windows, macOS, other Linux) CMake fetches any missing library at pinned releases.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${OBROL_BUILD_DIR:-$root/build}
action=${1:-run}
shift || true

packages=(
    build-essential cmake ninja-build pkg-config
    libimgui-dev libglfw3-dev libgl-dev libgl1-mesa-dri python3-glad libstb-dev
    libssl-dev libasio-dev libconcurrentqueue-dev libreaderwriterqueue-dev libcli11-dev doctest-dev libsqlite3-dev
    fonts-dejavu-core xvfb xauth
)

install_missing() {
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        echo "obrol: no apt here; CMake will fetch the libraries it cannot find (see README)."
        return
    fi
    local missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    echo "obrol: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

do_build() {
    local generator=()
    command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${OBROL_CMAKE_ARGS:-}
    fi
    cmake --build "$build" --parallel "$(nproc 2>/dev/null || echo 2)"
}

install_missing
do_build

case "$action" in
    build) ;;
    run)
        if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            exec "$build/obrol" --server --client "$@"
        else
            echo "obrol: no display found: starting the headless server (Ctrl+C or /quit stops it)."
            exec "$build/obrol" --server --headless "$@"
        fi
        ;;
    test)
        cd "$build"
        # one X server for the whole run: the GUI suite opens real windows in it
        xvfb-run -a -s "-screen 0 1280x800x24 -noreset" \
            ctest --output-on-failure --timeout 300 --parallel 2 --label-exclude bench ${OBROL_CTEST_ARGS:-}
        ;;
    *)
        echo "usage: bash vendor/bootstrap.sh [run|test|build] [obrol flags...]" >&2
        exit 2
        ;;
esac
