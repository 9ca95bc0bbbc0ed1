#!/usr/bin/env python3
"""Fleet-scale benchmark: N hosts given as dump files, each its own file, sampled
from the real-CPU corpus (../shared/corpus) and the shipped profiles.

For each N it writes N dump files and a fleet file into a scratch folder (setup,
not timed), then times `vmcompat audit FLEET --format json` (collect, decode,
group, matrix, baselines, render) with GNU time for wall time and peak memory.

It then times `vmcompat mask FLEET --groups ...` for the Intel groups that agree
on invariant TSC (collect, decode, group, build the mask and verify it on every
member: it keeps every host's leaves).

Bar (issue 3): 100,000 hosts under 2 s wall and under 1 GiB peak on a 2-core
machine, time growing linearly from 10,000 to 100,000.

Usage: benches/fleet_scale.py [N ...]   (default: 10000 50000 100000)
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "libcpuid")
PROFILES = os.path.join(ROOT, "profiles")
BIN = os.path.join(ROOT, "target", "release", "vmcompat")


def sources():
    """Same-vendor-heavy sample: server parts people run, from the corpus, plus profiles."""
    files = sorted(f for f in os.listdir(CORPUS) if f.endswith(".txt"))
    server = [f for f in files if any(k in f for k in ("xeon", "epyc", "opteron"))]
    profiles = []
    if os.path.isdir(PROFILES):
        profiles = sorted(f[:-5] for f in os.listdir(PROFILES) if f.endswith(".toml"))
    return [os.path.join(CORPUS, f) for f in server], profiles


def build(n, scratch, server, profiles, rng):
    dumps = os.path.join(scratch, "dumps")
    os.makedirs(dumps, exist_ok=True)
    lines = ['[fleet]\nname = "scale-%d"\n' % n]
    for i in range(n):
        name = "host%06d" % i
        if profiles and i % 10 == 0:
            lines.append('[[host]]\nname = "%s"\ncluster = "c%d"\nprofile = "%s"\n' % (name, i % 50, rng.choice(profiles)))
            continue
        src = rng.choice(server)
        dst = os.path.join(dumps, name + ".txt")
        shutil.copyfile(src, dst)  # every host its own file, as on a real fleet
        lines.append('[[host]]\nname = "%s"\ncluster = "c%d"\ndump = "dumps/%s.txt"\n' % (name, i % 50, name))
    fleet = os.path.join(scratch, "fleet.toml")
    with open(fleet, "w") as f:
        f.write("\n".join(lines))
    return fleet


def run(fleet):
    # Drop nothing from the page cache: the files were just written, as a fleet
    # engine's output directory would be. GNU time: %e wall seconds, %M peak KiB.
    cmd = ["/usr/bin/time", "-f", "%e %M %U %S", BIN, "audit", fleet, "--format", "json"]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    last = p.stderr.strip().splitlines()[-1]
    wall, peak_kib, user, sys_ = last.split()
    return p.returncode, float(wall), int(peak_kib) / 1024.0, float(user), float(sys_)


def mask_groups(fleet):
    """The Intel groups that agree on invariant TSC (a must-match bit no mask can
    hide; the corpus mixes parts with and without it): the largest set one mask
    can cover."""
    out = subprocess.run([BIN, "audit", fleet, "--format", "json"], capture_output=True, text=True).stdout
    groups = json.loads(out)["cpu"]["groups"]
    chosen = [g for g in groups if g["vendor"] == "intel" and "invtsc" in g["features"]]
    return ",".join(g["label"] for g in chosen), sum(len(g["hosts"]) for g in chosen)


def run_mask(fleet, groups):
    cmd = ["/usr/bin/time", "-f", "%e %M %U %S", BIN, "mask", fleet, "--groups", groups]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall, peak_kib, user, sys_ = p.stderr.strip().splitlines()[-1].split()
    return p.returncode, float(wall), int(peak_kib) / 1024.0, float(user), float(sys_)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10000, 50000, 100000]
    if not os.path.isdir(CORPUS):
        sys.exit("needs ../shared/corpus beside the checkout")
    if not os.path.exists("/usr/bin/time"):
        sys.exit("needs GNU time: apt-get install time")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    server, profiles = sources()
    rng = random.Random(42)
    print("hosts    exit  wall_s  peak_MiB  user_s  sys_s  us_per_host")
    for n in sizes:
        scratch = tempfile.mkdtemp(prefix="vmcompat-scale-")
        try:
            fleet = build(n, scratch, server, profiles, rng)
            best = None
            for _ in range(3):
                r = run(fleet)
                if best is None or r[1] < best[1]:
                    best = r
            code, wall, peak, user, sys_ = best
            print("%-8d %-5d %-7.2f %-9.0f %-7.2f %-6.2f %.1f" % (n, code, wall, peak, user, sys_, wall / n * 1e6))
            groups, members = mask_groups(fleet)
            m = min((run_mask(fleet, groups) for _ in range(3)), key=lambda r: r[1])
            print("  mask for %d Intel hosts (groups %s...): exit %d, %.2f s wall, %.0f MiB peak"
                  % (members, groups[:20], m[0], m[1], m[2]))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
