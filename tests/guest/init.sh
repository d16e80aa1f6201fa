#!/bin/sh
# /init (PID 1) of the Convoy test guest; scripts/build-guest puts it in the
# initramfs. Contract (see docs/guest.md), from the kernel command line:
#   convoy.name=NAME           heartbeat name (default: guest)
#   convoy.ip=A.B.C.D/NN       address of eth0 (/24 if no prefix given)
#   convoy.gw=A.B.C.D          default route
#   convoy.run="CMD ARGS"      started in the background, restarted if it exits;
#   convoy.run1=... .runN=...  more of them, started in command-line order.
#                              A value without spaces has every '+' turned into
#                              a space: convoy.run=dirtier+8+32
#   convoy.klog=1              keep kernel messages on the console after boot
#   convoy.enlight=MODE        the guest module and its responder enlightd:
#                              on (default), off (no module; enlightd answers
#                              that), none (neither), hang or garbage (enlightd
#                              fault injection: never answers / answers junk)
#   convoy_enlight.P=V         parameter P of the module (e.g. active_window_s=5)
# Then prints "convoy-alive NAME N" (N = 1, 2, ...) once a second, forever.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /run /tmp

# Everything (ours and the workloads') goes to the first serial port, which is
# what the tests capture; /dev/console if there is no working ttyS0.
if (: >/dev/ttyS0) 2>/dev/null; then
  exec </dev/null >/dev/ttyS0 2>&1
elif (: >/dev/console) 2>/dev/null; then
  exec </dev/null >/dev/console 2>&1
fi

say() { echo "convoy-init: $*"; }
echo # the firmware leaves the line unterminated: our lines start at column 0

# Kernel command line, one argument per line. Double quotes group words and
# are dropped (kernel rules: param="a b c").
awk '{
  n = length($0); arg = ""; q = 0; have = 0
  for (i = 1; i <= n; i++) {
    c = substr($0, i, 1)
    if (c == "\"") { q = !q; have = 1; continue }
    if (!q && (c == " " || c == "\t")) { if (have || arg != "") print arg; arg = ""; have = 0; continue }
    arg = arg c
  }
  if (have || arg != "") print arg
}' /proc/cmdline >/run/cmdline.args

NAME=guest IP='' GW='' KLOG='' ENLIGHT=on ENLIGHT_PARAMS=''
while IFS= read -r arg; do
  case "$arg" in
    convoy.name=*) NAME=${arg#convoy.name=} ;;
    convoy.ip=*) IP=${arg#convoy.ip=} ;;
    convoy.gw=*) GW=${arg#convoy.gw=} ;;
    convoy.klog=*) KLOG=${arg#convoy.klog=} ;;
    convoy.enlight=*) ENLIGHT=${arg#convoy.enlight=} ;;
    convoy_enlight.*=*) ENLIGHT_PARAMS="$ENLIGHT_PARAMS ${arg#convoy_enlight.}" ;;
  esac
done </run/cmdline.args
[ -n "$NAME" ] || NAME=guest
hostname "$NAME" 2>/dev/null

# Kernel modules, in dependency order (built by scripts/build-guest).
if [ -f /etc/convoy-modules ]; then
  while IFS= read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$m.ko" || say "insmod $m failed"
  done </etc/convoy-modules
fi

# The guest module (docs/guest-module.md) and its host channel's responder.
case "$ENLIGHT" in
  on | hang | garbage)
    # shellcheck disable=SC2086 # one word per parameter
    insmod /lib/modules/convoy_enlight.ko $ENLIGHT_PARAMS || say "insmod convoy_enlight failed"
    ;;
esac
case "$ENLIGHT" in
  on | off) enlightd --mode normal & ;;
  hang | garbage) enlightd --mode "$ENLIGHT" & ;;
esac
# Where the kernel image is (for the tests' check of the module's Kernel category).
grep 'Kernel ' /proc/iomem | sed 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : \(.*\)$/convoy-iomem \1 \2 \3/' >/run/iomem.kernel

ip link set lo up
if [ -n "$IP" ]; then
  case "$IP" in */*) ;; *) IP="$IP/24" ;; esac
  i=0
  while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  if [ -e /sys/class/net/eth0 ]; then
    ip link set eth0 up
    ip addr add "$IP" dev eth0 || say "cannot set $IP on eth0"
    if [ -n "$GW" ]; then ip route add default via "$GW" || say "cannot add route via $GW"; fi
  else
    say "no eth0 after 10 s"
  fi
fi

echo "convoy-boot name=$NAME kernel=$(uname -r) ip=${IP:-none} gw=${GW:-none} enlight=$ENLIGHT uptime_s=$(cut -d' ' -f1 /proc/uptime)"
cat /run/iomem.kernel
ip addr
ip route
[ "$KLOG" = 1 ] || dmesg -n 1 2>/dev/null # keep kernel chatter from splitting our lines

# Workloads: convoy.run, convoy.run1, convoy.run2, ... in command-line order.
n=0
while IFS= read -r arg; do
  case "$arg" in
    convoy.run*=*) ;;
    *) continue ;;
  esac
  key=${arg%%=*}
  cmd=${arg#*=}
  case "${key#convoy.run}" in *[!0-9]*) continue ;; esac
  case "$cmd" in *" "*) ;; *) cmd=$(printf '%s' "$cmd" | tr '+' ' ') ;; esac
  [ -n "$cmd" ] || continue
  n=$((n + 1))
  echo "convoy-run $key: $cmd"
  (
    while :; do
      sh -c "$cmd"
      echo "convoy-run $key exited rc=$?; restarting in 1 s"
      sleep 1
    done
  ) &
done </run/cmdline.args
echo "convoy-ready name=$NAME runs=$n"

N=0
while :; do
  N=$((N + 1))
  echo "convoy-alive $NAME $N"
  sleep 1
done
