"""bench/run_report.py OUT SECS — renders bench/run's outputs into BENCHMARKS.md: the speed
section and the quality table are replaced between bench/run markers (inserted the first time);
hand-written prose outside the markers is kept."""
import csv
import datetime
import re
import subprocess
import sys

out, secs = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{out}/micro.csv")))
by = {r["name"]: r for r in rows}


def detail(name, key):
    m = re.search(rf"(?:^| ){key}=(\S+)", by.get(name, {}).get("details", ""))
    return m.group(1) if m else None


def value(name):
    return float(by[name]["value"]) if name in by else float("nan")


def machine():
    info = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.*)", info)
    cpus = re.search(r"^CPU\(s\):\s*(\d+)", info, re.M)
    fam = re.search(r"CPU family:\s*(\d+)", info)
    mod = re.search(r"^Model:\s*(\d+)", info, re.M)
    flags = " AVX-512" if "avx512f" in info else (" AVX2" if "avx2" in info else "")
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]
    return (f"{model.group(1).strip() if model else '?'} (family {fam.group(1) if fam else '?'} "
            f"model {mod.group(1) if mod else '?'}{flags}), {cpus.group(1) if cpus else '?'} CPUs, "
            f"{mem} GiB")


def fmt(v):
    v = float(v)
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def speed_section():
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    L = ["## Speed — micro benchmarks (`bench/run`)", "",
         f"Measured {now} on {machine()}; `bench/run` took {secs} s in all. "
         "Command: `bench/run` (it runs `build/release/bench/bench_micro`; raw lines in "
         "`bench/out/micro.txt`, CSV in `bench/out/micro.csv`). OpenBLAS pinned to 1 thread. "
         "Every case validates its result before timing it (decode round-trip, sgemm vs. a "
         "double-precision dot, SGD loss falling on a repeated batch, top-N vs. brute force, "
         "Redis contents read back); values are medians of the runs shown, and every ratio "
         "is computed from cases of the same run.", "",
         "| case | value | unit | median of | details |", "|---|---|---|---|---|"]
    for r in rows:
        L.append(f"| {r['name']} | {fmt(r['value'])} | {r['unit']} | {r['median_of']} | "
                 f"{r['details']} |")
    sgd, ref = value("sgd_batch_gflops"), value("sgemm_64x64x64")
    paired = float(detail("sgd_batch_gflops", "paired_ratio") or "nan")
    sgd1 = value("sgd_event_gflops")
    bpu = value("bytes_per_user")
    ref100, topn100 = value("refresh_100k"), value("topn_batch_100k")
    lists, sets = value("redis_publish"), value("redis_set_loop")
    yes = lambda ok: "**yes**" if ok else "**no**"
    L += ["", "### Goals", "", "| goal | measured (same run) | met |", "|---|---|---|",
          f"| SGD path ≥ 50% of sgemm GFLOP/s | mini-batch of 32 events (the engine's default): "
          f"{sgd:.1f} vs {ref:.1f} GFLOP/s (64×64×64) = {100 * sgd / ref:.0f}%; median of 9 "
          f"back-to-back pairs {100 * paired:.0f}% (a step per event, `model.batch=1`: "
          f"{sgd1:.1f} GFLOP/s = {100 * sgd1 / ref:.0f}%) | {yes(paired >= 0.5)} |",
          f"| top-N refresh ≥ 5k users/s at 100k items | full refresh of batches of 64 users (as "
          f"the engine refreshes) {ref100:,.0f} users/s; the top-N kernel alone "
          f"{topn100:,.0f} users/s | {yes(ref100 >= 5000)} |",
          f"| ≤ 512 bytes per user at 1M users | {bpu:.0f} bytes (rr_pipeline_bytes_per_user, "
          f"defaults; the RSS measurement is in the end-to-end section) | {yes(bpu <= 512)} |",
          "",
          f"Redis: the publisher wrote {lists:,.0f} lists/s against {sets:,.0f} raw pipelined "
          f"SET/s on the same server ({lists / sets:.3f} lists per SET); each list is one "
          "MULTI, DEL, ZADD (10 items), HSET (10 reasons), 2 EXPIRE, EXEC and PUBLISH.", "",
          "SGD FLOPs per event (B = 1 + 4 examples, MLP layers in_l×out_l, E events per step): "
          "6·B·Σ in_l·out_l (forward 2·B·Σ, backward twice that) + 4 per MLP parameter "
          "(Adagrad) ÷ E + embedding rows (2·B·d for the u⊙v gradients + 4 per updated "
          "element); feature building, negative sampling and clipping are not counted, so "
          "GFLOP/s is a lower bound. `flops_per_event` above is this count for the default "
          "model. The SGD cases time the engine's path: each event staged (negatives, input "
          "rows), a step whenever `model.batch` events are staged.", "",
          "![top-N users/s vs catalog size](bench/out/topn_users_per_s.png)", ""]
    return "\n".join(L)


def replace(text, tag, body, anchor):
    begin, end = f"<!-- bench/run:{tag}:begin -->", f"<!-- bench/run:{tag}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        return text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    return anchor(text, block)


def before_first_section(text, block):
    i = text.find("\n## ")
    return text + "\n" + block + "\n" if i < 0 else text[:i + 1] + block + "\n\n" + text[i + 1:]


def over_quality_table(text, block):
    m = re.search(r"^\| role \| command \|.*\n(?:\|.*\n)*", text, re.M)
    return text if not m else text[:m.start()] + block + "\n" + text[m.end():]


def after_speed(text, block):
    end = "<!-- bench/run:speed:end -->"
    i = text.find(end)
    return before_first_section(text, block) if i < 0 else (
        text[:i + len(end)] + "\n\n" + block + text[i + len(end):])


md = open("BENCHMARKS.md").read()
md = replace(md, "speed", speed_section(), before_first_section)
try:
    md = replace(md, "e2e", open(f"{out}/e2e.md").read(), after_speed)
except FileNotFoundError:
    pass
quality = open(f"{out}/eval.md").read()
if quality.strip():
    md = replace(md, "quality", quality, over_quality_table)
open("BENCHMARKS.md", "w").write(md)
