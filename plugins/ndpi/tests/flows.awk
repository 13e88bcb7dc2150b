# flows.awk - one line per flow, in a form both ndpiReader and vfm-classify
# can be reduced to:  PROTO ENDPOINT ENDPOINT VLAN PACKETS BYTES APP
# with the two endpoints in sorted order (a flow is both directions) and
# IPv6 addresses written as ndpiReader writes them (every ":0:" -> "::",
# its ndpi_patchIPv6Address).  Run with -v from=ndpi (ndpiReader -v 2
# output) or -v from=vfm (vfm-classify --flows output).

function endpoint(s,    addr, port, v6) {
    v6 = substr(s, 1, 1) == "["
    port = s
    sub(/.*:/, "", port)
    addr = substr(s, 1, length(s) - length(port) - 1)
    if (v6)
        gsub(/:0:/, "::", addr)
    return addr ":" port
}

function emit(proto, a, b, vlan, packets, bytes, app,    t) {
    if (b < a) { t = a; a = b; b = t }
    print proto, a, b, vlan, packets, bytes, app
}

from == "vfm" && /^[0-9]/ {
    split($0, f, "\t")
    emit(f[2], endpoint(f[3]), endpoint(f[4]), f[5], f[6], f[7], f[8])
}

# "\t12\tTCP 1.2.3.4:80 <-> 5.6.7.8:999 [VLAN: 3][proto: 7/HTTP]...[1 pkts/60 bytes -> 0 pkts/0 bytes]"
from == "ndpi" && /^\t[0-9]+\t[^ ]+ [^ ]+ (<->|->) [^ ]+ .*\[proto: / {
    line = $0
    sub(/^\t[0-9]+\t/, "", line)
    split(line, w, " ")
    vlan = 0
    if (match(line, /\[VLAN: [0-9]+\]/))
        vlan = substr(line, RSTART + 7, RLENGTH - 8)
    match(line, /\[proto: [^]]*\]/)
    app = substr(line, RSTART + 8, RLENGTH - 9)
    sub(/^[^\/]*\//, "", app)
    match(line, /\[[0-9]+ pkts\/[0-9]+ bytes (<->|->) [0-9]+ pkts\/[0-9]+ bytes\]/)
    split(substr(line, RSTART + 1, RLENGTH - 2), c, /[ \/]/)
    # c: N "pkts" M "bytes" arrow K "pkts" L "bytes"
    emit(w[1], endpoint(w[2]), endpoint(w[4]), vlan, c[1] + c[6], c[3] + c[8], app)
}
