# tshark.sh - sourced after tests/scripts/lib.sh: run the real tshark with the
# plugin from the build tree.
#
# Environment: VFMWS_PLUGIN_DIR (the build tree's plugin directory, laid out
# as Wireshark's: X.Y/epan/vfm.so), VFM_TEST, VFLISPC (reference tools);
# VFMWS_TSHARK_PRELOAD (optional): a library tshark alone must preload (the
# ASan runtime when the plugin is built with sanitizers).
#
# Wireshark ignores WIRESHARK_PLUGIN_DIR and per-user plugin directories when
# it runs as root (CI does), so as root tshark runs in a new user namespace
# (unshare -U) where it is "nobody".  HOME points at an empty directory so
# the tester's own preferences and tables cannot change the results.

need_env VFMWS_PLUGIN_DIR VFM_TEST VFLISPC
if ! command -v tshark >/dev/null 2>&1; then
    echo "SKIP: tshark is not installed (apt-get install tshark)"
    exit 77
fi
chmod 755 "$TMP"
mkdir -p "$TMP/home"
export HOME=$TMP/home XDG_CONFIG_HOME=$TMP/home/.config
export WIRESHARK_PLUGIN_DIR=$VFMWS_PLUGIN_DIR
unset WIRESHARK_CONFIG_DIR
# No extcap tools: nothing here captures, and their discovery (threads that
# spawn every extcap binary) hangs tshark when the ASan runtime is preloaded.
mkdir -p "$TMP/extcap"
export WIRESHARK_EXTCAP_DIR=$TMP/extcap

TSHARK_CMD=(tshark)
if [ -n "${VFMWS_TSHARK_PRELOAD:-}" ]; then
    # tshark's own exit-time allocations are not the plugin's to fix.
    TSHARK_CMD=(env "LD_PRELOAD=$VFMWS_TSHARK_PRELOAD" ASAN_OPTIONS=detect_leaks=0 tshark)
fi
if [ "$(id -u)" -eq 0 ]; then
    if ! unshare -U true 2>/dev/null; then
        echo "FAIL: running as root and 'unshare -U' does not work: tshark would ignore the plugin"
        exit 1
    fi
    TSHARK_CMD=(unshare -U "${TSHARK_CMD[@]}")
fi

# ts ARGS...: tshark with the plugin.  Use as "run ts ..." or directly.
ts() { "${TSHARK_CMD[@]}" "$@"; }

# Stop at once when the plugin does not load: every other check would fail
# for that one reason.
plugin_loads() {
    if ts -G plugins 2>"$TMP/plugins.err" | grep -q "^vfm\.so"; then
        return 0
    fi
    echo "FAIL: tshark -G plugins does not list vfm.so (WIRESHARK_PLUGIN_DIR=$VFMWS_PLUGIN_DIR)"
    echo "  stderr: $(head -c 400 "$TMP/plugins.err" | tr '\n' '|')"
    exit 1
}

# capture_linktype FILE: the link type name tcpdump reports (EN10MB, ...),
# empty when tcpdump cannot open the file.
capture_linktype() {
    tcpdump -nr "$1" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Za-z0-9_]*\) .*/\1/p' | head -n 1
}

# vfm_frames EXPR LINKTYPE CAPTURE OUT: the numbers of the frames vfm-test
# accepts, one per line, into OUT.  Returns 1 (with a FAIL) when the
# reference cannot be made.
vfm_frames() {
    local bin=$TMP/ref.bin
    if ! "$VFLISPC" --linktype "$2" -e "$1" -o "$bin" >/dev/null 2>"$TMP/ref.err"; then
        bad "vflispc --linktype $2 -e '$1': $(tr '\n' '|' <"$TMP/ref.err")"
        return 1
    fi
    "$VFM_TEST" -v "$bin" "$3" 2>/dev/null </dev/null |
        sed -n 's/^\([0-9][0-9]*\): .* accept .*/\1/p' >"$4"
}
