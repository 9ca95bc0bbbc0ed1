#!/usr/bin/env python3
"""Regenerates the measured sections of targets/qemu.toml and targets/libvirt.toml
from the QEMU and libvirt installed on this machine (Debian 12: QEMU 7.2, libvirt 9.0).

QEMU: `qemu-system-x86_64 -cpu help` gives the model names and the CPUID flag names
this release accepts; QMP `query-cpu-model-expansion` (type=full, under KVM with
`-machine none`: needs /dev/kvm) gives, per versioned model, the CPUID flags it turns on.
libvirt: /usr/share/libvirt/cpu_map/x86_features.xml (feature names) and
x86_<Model>.xml (each model's vendor and features).

Usage: python3 targets/generate.py qemu > /tmp/q.toml ; python3 targets/generate.py libvirt > /tmp/l.toml
The output is the [[release]] block to paste; the file headers are written by hand.
"""
import json, re, subprocess, sys, glob, xml.etree.ElementTree as ET

def qemu():
    help_text = subprocess.run(["qemu-system-x86_64", "-cpu", "help"], capture_output=True, text=True).stdout
    ver = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.split()[3]
    models, flags, in_flags = [], set(), False
    for line in help_text.splitlines():
        if line.startswith("Recognized CPUID flags"):
            in_flags = True
            continue
        if in_flags:
            flags.update(line.split())
        elif line.startswith("x86 "):
            name = line.split()[1]
            # Versioned models only: unversioned names are aliases whose meaning
            # depends on the machine type.
            if re.search(r"-v\d+$", name):
                models.append(name)
    flags = sorted(f for f in flags if not f.startswith(("vmx-", "kvm", "hv-")))
    # Features under KVM: the expansion then carries KVM's defaults (x2apic on,
    # MONITOR and SVM off; TCG would turn VME off), i.e. what KVM guests see of
    # each model. The vendor under TCG: under KVM QEMU reports the host's.
    def session(accel):
        p = subprocess.Popen(["qemu-system-x86_64", "-accel", accel, "-machine", "none", "-nodefaults",
                              "-display", "none", "-S", "-chardev", "stdio,id=c", "-mon", "chardev=c,mode=control"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        def send(o):
            p.stdin.write(json.dumps(o) + "\n"); p.stdin.flush()
            while True:
                r = json.loads(p.stdout.readline())
                if "return" in r or "error" in r:
                    return r
        p.stdout.readline()
        send({"execute": "qmp_capabilities"})
        return p, send
    p, send = session("kvm")
    tcg, send_tcg = session("tcg")
    out = ['[[release]]', f'version = "{".".join(ver.split(".")[:2])}"',
           f'source = "qemu-system-x86_64 {ver} -cpu help; QMP query-cpu-model-expansion type=full (KVM, -machine none)"',
           'features = [']
    out += wrap(flags)
    out.append(']')
    for m in models:
        r = send({"execute": "query-cpu-model-expansion", "arguments": {"type": "full", "model": {"name": m}}})
        props = r["return"]["model"]["props"]
        vendor = send_tcg({"execute": "query-cpu-model-expansion",
                           "arguments": {"type": "full", "model": {"name": m}}})["return"]["model"]["props"]["vendor"]
        on = sorted(f for f in flags if props.get(f) is True)
        out += ['', '[[release.model]]', f'name = "{m}"', f'vendor = "{vendor}"', 'features = [']
        out += wrap(on)
        out.append(']')
    for q, snd in ((p, send), (tcg, send_tcg)):
        snd({"execute": "quit"})
        q.wait()
    print("\n".join(out))

def libvirt():
    d = "/usr/share/libvirt/cpu_map"
    ver = subprocess.run(["virsh", "--version"], capture_output=True, text=True).stdout.strip()
    feats = sorted(f.get("name") for f in ET.parse(f"{d}/x86_features.xml").getroot().iter("feature")
                   if f.find("cpuid") is not None)
    out = ['[[release]]', f'version = "{".".join(ver.split(".")[:2])}"',
           f'source = "libvirt {ver} (Debian 12) /usr/share/libvirt/cpu_map: x86_features.xml and x86_<Model>.xml"',
           'features = [']
    out += wrap(feats)
    out.append(']')
    for path in sorted(glob.glob(f"{d}/x86_*.xml")):
        root = ET.parse(path).getroot()
        m = root.find("model")
        if m is None or path.endswith(("x86_features.xml", "x86_vendors.xml")):
            continue
        vendor = m.find("vendor")
        fl = sorted(f.get("name") for f in m.findall("feature") if f.get("name") in feats)
        out += ['', '[[release.model]]', f'name = "{m.get("name")}"',
                f'vendor = "{vendor.get("name") if vendor is not None else ""}"', 'features = [']
        out += wrap(fl)
        out.append(']')
    print("\n".join(out))

def wrap(names):
    lines, line = [], "   "
    for n in names:
        item = f' "{n}",'
        if len(line) + len(item) > 96:
            lines.append(line); line = "   "
        line += item
    if line.strip():
        lines.append(line)
    return lines

if __name__ == "__main__" and len(sys.argv) == 2:
    {"qemu": qemu, "libvirt": libvirt}[sys.argv[1]]()


def reference(kind, known_toml):
    """The newest names (../shared/reference/libvirt_x86_*.tsv) beyond the measured
    release: the models and feature names `known_toml` does not list yet."""
    import tomllib
    known = tomllib.load(open(known_toml, "rb"))
    have_models = {m["name"] for r in known["release"] for m in r.get("model", [])}
    have_feats = {f for r in known["release"] for f in r["features"]}
    ref = "/work/shared/reference"
    qemu_of, cpuid = {}, set()
    for line in open(f"{ref}/libvirt_x86_features.tsv").read().splitlines()[1:]:
        c = line.split("\t")
        if c[0] != "cpuid":
            continue
        cpuid.add(c[1])
        q = [a[:-6] for a in c[8].split(",") if a.endswith("(qemu)")] if len(c) > 8 else []
        qemu_of[c[1]] = q[0] if q else c[1]
    spell = (lambda n: qemu_of[n]) if kind == "qemu" else (lambda n: n)
    feats = sorted({spell(n) for n in cpuid} - have_feats)
    out = ['features = [']
    out += wrap(feats)
    out.append(']')
    for line in open(f"{ref}/libvirt_x86_models.tsv").read().splitlines()[1:]:
        c = line.split("\t")
        name, vendor, fl = c[0], c[1], c[5].split()
        if name in have_models or (kind == "qemu" and not re.search(r"-v\d+$", name)):
            continue
        vendor = {"Intel": "GenuineIntel", "AMD": "AuthenticAMD", "Hygon": "HygonGenuine"}.get(vendor, "") if kind == "qemu" else ("" if vendor == "None" else vendor)
        out += ['', '[[release.model]]', f'name = "{name}"', f'vendor = "{vendor}"', 'features = [']
        out += wrap(sorted(spell(n) for n in fl if n in cpuid))
        out.append(']')
    print("\n".join(out))

if __name__ == "__main__" and len(sys.argv) > 2:
    reference(sys.argv[1], sys.argv[2])
