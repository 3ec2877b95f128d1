#!/usr/bin/env python3
"""Run one case under Fluentd and/or Sluice. Usage: run_case.py CASEDIR [fluentd|sluice|both]"""
import os, sys, time, socket, subprocess, signal, shutil, glob, re

BASE = "/tmp/fluentd-compare"
S = BASE + "/src"
case = os.path.abspath(sys.argv[1])
which = sys.argv[2] if len(sys.argv) > 2 else "both"
PORT = {"fluentd": 25201, "sluice": 25202}
TZ = open(os.path.join(case, "tz")).read().strip() if os.path.exists(os.path.join(case, "tz")) else "Asia/Tokyo"

def read_input():
    p = os.path.join(case, "input")
    data = open(p, "rb").read()
    return [l for l in data.split(b"\n") if l]

def proto():
    p = os.path.join(case, "proto")
    return open(p).read().strip() if os.path.exists(p) else "udp"

def send(port, lines):
    if proto() == "tcp":
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        for l in lines:
            s.sendall(l + b"\n"); time.sleep(0.05)
        time.sleep(0.3); s.close()
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for l in lines:
            s.sendto(l, ("127.0.0.1", port)); time.sleep(0.05)
        s.close()

def wait_for(path, pattern, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and re.search(pattern, open(path, errors="replace").read()):
            return True
        time.sleep(0.2)
    return False

def run(engine):
    out = os.path.join(case, engine + "-run")
    shutil.rmtree(out, ignore_errors=True); os.makedirs(out)
    cf = os.path.join(case, engine + ".conf")
    conf = open(cf if os.path.exists(cf) else os.path.join(case, "fluent.conf")).read()
    conf = conf.replace("@PORT@", str(PORT[engine])).replace("@OUT@", out)
    if engine == "sluice":
        conf = "<system>\n  metrics_address off\n</system>\n" + conf
    cpath = os.path.join(out, "run.conf")
    open(cpath, "w").write(conf)
    env = dict(os.environ, TZ=TZ)
    so = open(os.path.join(out, "stdout.txt"), "wb")
    if engine == "fluentd":
        env["RUBYLIB"] = f"{S}/fluentd/lib:{S}/fluent-plugin-s3/lib:{S}/serverengine/lib"
        log = os.path.join(out, "fluentd.log")
        p = subprocess.Popen(["ruby", f"{S}/fluentd/bin/fluentd", "-c", cpath, "-o", log, "--no-supervisor"],
                             cwd=out, env=env, stdout=so, stderr=subprocess.STDOUT, start_new_session=True)
        ready = wait_for(log, r"fluentd worker is now running|listening syslog socket", 40)
        errf = log
    else:
        err = os.path.join(out, "stderr.txt")
        p = subprocess.Popen([BASE + "/sluice", "run", "-c", cpath, "--buffer-path", os.path.join(out, "buffer")],
                             cwd=out, env=env, stdout=so, stderr=open(err, "wb"), start_new_session=True)
        ready = wait_for(err, r"listening", 30)
        errf = err
    if not ready:
        print(engine, "NOT READY; rc", p.poll()); print(open(errf, errors="replace").read()[-3000:])
        if p.poll() is None: os.kill(p.pid, signal.SIGTERM); p.wait(10)
        return
    time.sleep(0.5)
    send(PORT[engine], read_input())
    time.sleep(1.5)
    os.kill(p.pid, signal.SIGUSR1)
    time.sleep(2.5)
    os.kill(p.pid, signal.SIGTERM)
    try: p.wait(30)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL); p.wait(5); print(engine, "killed")
    so.close()
    # collect
    hook = os.path.join(case, "post_" + engine + ".py")
    if os.path.exists(hook): subprocess.run([sys.executable, hook, out], check=False)
    res = []
    files = sorted(f for f in glob.glob(os.path.join(out, "files", "**"), recursive=True) if os.path.isfile(f))
    for f in files:
        data = open(f, "rb").read()
        if f.endswith(".gz"):
            import gzip; data = gzip.decompress(data)
        res.append(b"== file " + os.path.relpath(f, out).encode() + b"\n" + data)
    sd = open(os.path.join(out, "stdout.txt"), "rb").read()
    if engine == "fluentd":
        # out_stdout writes through Fluentd's logger, so with -o its lines are in the log file
        lines = open(os.path.join(out, "fluentd.log"), "rb").read().split(b"\n")
        ev = [l for l in lines if l and not re.match(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \[", l) and not l[:1] in (b" ", b"<")]
        sd += b"".join(l + b"\n" for l in ev)
    if sd: res.append(b"== stdout\n" + sd)
    open(os.path.join(case, engine + "-output"), "wb").write(b"".join(r if r.endswith(b"\n") else r + b"\n" for r in res))
    warn = [l for l in open(errf, errors="replace").read().splitlines() if re.search(r"\[(warn|error)\]", l)]
    open(os.path.join(case, engine + "-warnings"), "w").write("\n".join(warn) + ("\n" if warn else ""))

for e in (["fluentd", "sluice"] if which == "both" else [which]):
    run(e)
