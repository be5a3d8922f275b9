"""Memory of a model loaded for two roles, without and with a LoRA adapter.

With an adapter, llama.cpp reads the base into memory instead of mapping it. Each spec is loaded in a
fresh process, which prints its resident memory split into anonymous (private) and file-backed (the
mapped GGUF, shared with the page cache and other processes) pages.

    python -m benchmarks.adapter_memory qwen2.5-coder-0.5b \
        qwen2.5-coder-0.5b+runs/arms/plan/gsm8k-plan.lora.gguf
"""

import subprocess
import sys

PROBE = """
import sys
from models.registry import load
for role in ("planner", "grounder"):
    load(sys.argv[1], slot=role)
status = open("/proc/self/status").read()
mib = {k: int(status.split(k + ":")[1].split()[0]) // 1024 for k in ("VmRSS", "RssAnon", "RssFile")}
print(f"| {sys.argv[1]} | {mib['VmRSS']} | {mib['RssAnon']} | {mib['RssFile']} |")
"""


def main() -> None:
    """Print one table row per spec given on the command line."""
    print("| spec (two role contexts) | RSS MiB | anonymous MiB | file-backed MiB |")
    print("|---|---|---|---|")
    for spec in sys.argv[1:]:
        row = subprocess.run([sys.executable, "-c", PROBE, spec], capture_output=True, text=True, check=True)
        print(row.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
