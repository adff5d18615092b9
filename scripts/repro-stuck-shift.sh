#!/bin/bash
# Found by the chaos soak (src-tauri/benches/chaos.rs). Needs a release build:
# cargo bench -p saytype --no-default-features --bench chaos --no-run
# Repro: an agent killed (-9) while typing leaves Shift pressed in the X server;
# the next agent types the next message with Shift held.
set -u
BIN=/work/wt-chaos/target/release/saytype
D=$(mktemp -d /tmp/repro-shift.XXXX); PORT=${PORT:-7399}; export SAYTYPE_TOKEN=test-token-0123456789abcdef
Xvfb :77 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & XV=$!; sleep 1; export DISPLAY=:77
: > $D/out; LC_ALL=C.UTF-8 xterm -u8 -class ReproX -e sh -c "stty -echo -icanon; exec cat > $D/out" & XT=$!
xdotool search --sync --onlyvisible --class ReproX | head -1 | xargs xdotool windowfocus --sync; sleep 0.5
$BIN serve --no-agent --no-mdns --bind 127.0.0.1 --port $PORT --device-id desk --data-dir $D/relay > $D/relay.out 2>$D/relay.err & RL=$!; sleep 0.5
agent() { $BIN agent --relay ws://127.0.0.1:$PORT/ws --device-id desk --inject type --data-dir $D/agent 2>>$D/agent.err & AG=$!; sleep 0.7; }
post() { curl -s -H "Authorization: Bearer $SAYTYPE_TOKEN" -H 'content-type: application/json' -d "{\"id\":\"$1\",\"text\":\"$2\"}" http://127.0.0.1:$PORT/transcription; echo; }
mods() { /usr/bin/python3 -c 'import gi; gi.require_version("Gdk","3.0"); from gi.repository import Gdk; print("modifier state:", int(Gdk.Keymap.get_for_display(Gdk.Display.get_default()).get_modifier_state()), "(1 = Shift)")'; }
for round in 1 2 3 4 5 6 7 8; do
  agent
  LONG=$(python3 -c 'print(" ".join(["Hello World, ABC def (42)! Grüße"]*30))')
  post long-$round "$LONG" >/dev/null
  sleep 0.$((RANDOM % 5 + 2)); kill -9 $AG; wait $AG 2>/dev/null
  echo "round $round: agent killed mid-typing; $(mods)"
  agent
  post next-$round "[next-$round] abc def xyz" >/dev/null; sleep 1.5
  echo "  window ends with: $(tail -c 45 $D/out)"
  curl -s -H "Authorization: Bearer $SAYTYPE_TOKEN" http://127.0.0.1:$PORT/transcription/next-$round; echo
  kill $AG; wait $AG 2>/dev/null; echo >> /dev/null
done
kill $RL $XT $XV 2>/dev/null; echo "files in $D"
