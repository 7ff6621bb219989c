#!/usr/bin/python3
"""heartbeats.py - test helper: runs a command the way `sismo up` supervises it, with the
write end of a pipe in SISMO_HEARTBEAT_FD (src/base/sis_heartbeat.h), and records when
each heartbeat byte arrives.

usage: heartbeats.py record OUT -- CMD...   run CMD; append one line per heartbeat byte
                                            to OUT: wall-clock seconds (time.time());
                                            SIGTERM/SIGINT are passed on to CMD; exits
                                            with CMD's status (128+N if killed by N)
       heartbeats.py gap OUT FROM TO        print the longest time in seconds without a
                                            heartbeat between the wall-clock times FROM
                                            and TO (the window's edges count as gaps too)
"""
import os
import signal
import subprocess
import sys
import threading


def record(out, cmd):
    r, w = os.pipe()
    env = dict(os.environ, SISMO_HEARTBEAT_FD=str(w))
    child = subprocess.Popen(cmd, pass_fds=(w,), env=env)
    os.close(w)

    def forward(signum, frame):
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)

    def reader():
        import time
        with open(out, "a") as f:
            while True:
                b = os.read(r, 256)
                if not b:
                    return
                now = time.time()
                for _ in b:
                    f.write(f"{now:.3f}\n")
                f.flush()

    t = threading.Thread(target=reader)
    t.start()
    rc = child.wait()
    t.join()
    sys.exit(rc if rc >= 0 else 128 - rc)


def gap(out, lo, hi):
    with open(out) as f:
        beats = sorted(float(x) for x in f if x.strip())
    inside = [b for b in beats if lo <= b <= hi]
    edges = [lo] + inside + [hi]
    print(f"{max(b - a for a, b in zip(edges, edges[1:])):.3f}")


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "record" and sys.argv[3] == "--":
        record(sys.argv[2], sys.argv[4:])
    elif len(sys.argv) == 5 and sys.argv[1] == "gap":
        gap(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
