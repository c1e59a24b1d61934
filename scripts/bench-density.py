#!/usr/bin/env python3
"""`make bench-density`: what an idle provider costs the host.

Starts N providers with the real image (N=40 by default; N=100 when asked), lets them settle,
then measures over the same window with them running and again with them stopped:
  - whole-machine CPU (from /proc/stat), as % of one core: the figure the issue asks for, but
    it includes anything else the machine does (builds, other tests);
  - CPU attributed to the providers: their containers' cgroups (cpuacct.usage) plus the engine
    processes that serve them (dockerd, containerd, the shims, docker-proxy), so a busy
    neighbour does not count;
and host memory per provider: the containers' cgroup memory (RSS and cache) plus the PSS of
the per-provider shims and proxies.

Usage: scripts/bench-density.py TENANTCTL [--providers N] [--image REF] [--seconds S] [--settle S] [--rounds R]
Each round starts the providers (until ready), measures them running, stops them and measures
again; the figures printed are the medians over the rounds (ROUNDS=3 by default).
Everything it creates is removed at the end (remove --purge-data), also on failure.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import subprocess
import sys
import time

PREFIX = "density_"


def run(*args, check=True):
    result = subprocess.run(args, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def machine_ticks():
    """(busy, total, steal) jiffies over all CPUs, and context switches so far. Steal is time
    the hypervisor gave this VM's CPUs to others: neither busy nor idle here, so it is left
    out of both (on a shared host it swings by whole percents of a core between windows)."""
    with open("/proc/stat") as f:
        lines = f.read().splitlines()
    fields = [int(x) for x in lines[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    busy = user + nice + system + irq + softirq  # guest time is already in user
    ctxt = next(int(line.split()[1]) for line in lines if line.startswith("ctxt "))
    return busy, busy + idle + iowait, steal, ctxt


def process_ticks(names):
    """utime+stime (jiffies) of every process whose command name is in `names`."""
    total = 0
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        if name in names:
            parts = text[text.rindex(")") + 2:].split()
            total += int(parts[11]) + int(parts[12])
    return total


def cgroup_file(controller, container_id, name):
    for path in (f"/sys/fs/cgroup/{controller}/docker/{container_id}/{name}",
                 f"/sys/fs/cgroup/docker/{container_id}/{name}",
                 f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/{name}"):
        if os.path.exists(path):
            return path
    return None


def containers_cpu_ns(ids):
    total = 0
    for cid in ids:
        path = cgroup_file("cpuacct", cid, "cpuacct.usage")
        if path:
            with open(path) as f:
                total += int(f.read())
        else:  # cgroup v2
            path = cgroup_file("cpu", cid, "cpu.stat")
            with open(path) as f:
                usage = dict(line.split() for line in f)
            total += int(usage["usage_usec"]) * 1000
    return total


def containers_memory(ids):
    """Bytes of RSS and of page cache charged to the containers."""
    rss = cache = 0
    for cid in ids:
        path = cgroup_file("memory", cid, "memory.stat")
        with open(path) as f:
            stat = dict((k, int(v)) for k, v in (line.split() for line in f))
        rss += stat.get("total_rss", stat.get("anon", 0))
        cache += stat.get("total_cache", stat.get("file", 0))
    return rss, cache


def pss_kib(names):
    total = 0
    for stat in glob.glob("/proc/[0-9]*/comm"):
        try:
            with open(stat) as f:
                if f.read().strip() not in names:
                    continue
            with open(stat.replace("comm", "smaps_rollup")) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


ENGINE = {"dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2", "docker-proxy", "runc"}
SHIMS = {"containerd-shim", "containerd-shim-runc-v2", "docker-proxy"}


def measure(seconds, container_ids):
    hz = os.sysconf("SC_CLK_TCK")
    cores = os.cpu_count()
    busy0, total0, steal0, ctxt0 = machine_ticks()
    engine0 = process_ticks(ENGINE)
    cg0 = containers_cpu_ns(container_ids) if container_ids else 0
    start = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - start
    busy1, total1, steal1, ctxt1 = machine_ticks()
    engine1 = process_ticks(ENGINE)
    cg1 = containers_cpu_ns(container_ids) if container_ids else 0
    machine = (busy1 - busy0) / (total1 - total0) * cores * 100
    steal = (steal1 - steal0) / hz / elapsed * 100
    engine = (engine1 - engine0) / hz / elapsed * 100
    containers = (cg1 - cg0) / 1e9 / elapsed * 100
    return {"machine_pct_core": machine, "engine_pct_core": engine, "containers_pct_core": containers,
            "steal_pct_core": steal, "switches_per_s": (ctxt1 - ctxt0) / elapsed}


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tenantctl")
    parser.add_argument("--providers", type=int, default=int(os.environ.get("N", "40")))
    parser.add_argument("--image", default=os.environ.get("IMAGE", "tenantctl:0.1.0"))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--settle", type=float, default=20)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")),
                        help="running/stopped pairs measured; the figures are their medians")
    args = parser.parse_args()
    ids = [f"{PREFIX}{i:03d}" for i in range(args.providers)]
    tenantctl = args.tenantctl
    n = args.providers

    def start(pid):
        began = time.monotonic()
        out = run(tenantctl, "start-provider", pid, "--image", args.image, "--json").stdout
        return pid, time.monotonic() - began, json.loads(out)

    def remove(pid):
        run(tenantctl, "remove", pid, "--purge-data", "--yes", check=False)

    def start_all():
        began = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            started = list(pool.map(start, ids))
        ready_times = sorted(t for _, t, _ in started)
        print(f"  all ready after {time.monotonic() - began:.1f} s; start-provider until ready: "
              f"median {ready_times[len(ready_times) // 2]:.2f} s, max {ready_times[-1]:.2f} s", flush=True)

    rounds = []
    try:
        for number in range(1, args.rounds + 1):
            print(f"round {number}/{args.rounds}: starting {n} providers ({args.image}), {args.parallel} at a time ...", flush=True)
            start_all()
            listing = json.loads(run(tenantctl, "list", "--json").stdout)
            container_ids = [c["id"] for p in listing if p["provider"].startswith(PREFIX) for c in p["containers"]]
            print(f"  settling {args.settle:.0f} s, then measuring {args.seconds:.0f} s running ...", flush=True)
            time.sleep(args.settle)
            if number == 1:
                rss, cache = containers_memory(container_ids)
                shim_kib_running = pss_kib(SHIMS)
            running = measure(args.seconds, container_ids)
            print("  stopping them, measuring again ...", flush=True)
            with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
                list(pool.map(lambda pid: run(tenantctl, "stop", pid), ids))
            time.sleep(min(args.settle, 10))
            if number == 1:
                shim_kib_stopped = pss_kib(SHIMS)
            stopped = measure(args.seconds, [])
            per = {key: (running[key] - stopped[key]) / n for key in ("machine_pct_core", "steal_pct_core", "switches_per_s")}
            per["attributed"] = (running["containers_pct_core"] + running["engine_pct_core"] - stopped["engine_pct_core"]) / n
            per["containers"] = running["containers_pct_core"] / n
            per["engine"] = (running["engine_pct_core"] - stopped["engine_pct_core"]) / n
            per["machine_running"], per["machine_stopped"] = running["machine_pct_core"], stopped["machine_pct_core"]
            per["steal_running"], per["steal_stopped"] = running["steal_pct_core"], stopped["steal_pct_core"]
            rounds.append(per)
            print(f"  round {number}: whole machine {per['machine_running']:.1f}% running, {per['machine_stopped']:.1f}% stopped "
                  f"-> {per['machine_pct_core']:.3f}% per provider; attributed {per['attributed']:.3f}%; "
                  f"steal {per['steal_running']:.1f}% / {per['steal_stopped']:.1f}%; "
                  f"{per['switches_per_s']:.1f} context switches/s per provider", flush=True)
    finally:
        print("removing them ...", flush=True)
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            list(pool.map(remove, ids))
    if not rounds:
        return 1

    load = os.getloadavg()
    pick = lambda key: median([r[key] for r in rounds])
    per_round = ", ".join(f"{r['machine_pct_core']:.3f}" for r in rounds)
    memory_per = (rss + cache) / n / 2**20 + (shim_kib_running - shim_kib_stopped) / n / 1024
    print()
    print(f"providers: {n} ({2 * n} containers), image {args.image}, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; medians of {len(rounds)} rounds")
    print(f"whole machine, running: {pick('machine_running'):.1f}% of one core; stopped: {pick('machine_stopped'):.1f}%; "
          f"per idle provider: {pick('machine_pct_core'):.3f}% of one core "
          f"(rounds: {per_round}; steal left out; includes anything else the machine did)")
    print(f"attributed (containers' cgroups + engine processes), per idle provider: {pick('attributed'):.3f}% of one core "
          f"(containers {pick('containers'):.4f}%, engine {pick('engine'):.4f}%)")
    steal_rounds = ", ".join(f"{r['steal_pct_core']:.3f}" for r in rounds)
    print(f"steal (the hypervisor running other guests; left out above), running minus stopped, per provider: "
          f"{pick('steal_pct_core'):.3f}% of one core (rounds: {steal_rounds})")
    print(f"context switches per idle provider: {pick('switches_per_s'):.1f}/s")
    print(f"memory per provider: {memory_per:.1f} MiB (containers' RSS {rss / n / 2**20:.1f} MiB + page cache {cache / n / 2**20:.1f} MiB, "
          f"shims and proxies {(shim_kib_running - shim_kib_stopped) / n / 1024:.1f} MiB PSS)")


if __name__ == "__main__":
    sys.exit(main())
