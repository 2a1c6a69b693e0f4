#!/usr/bin/env python3
"""Extracts the JSON message examples of Kalshi's AsyncAPI files into one file per example.

Usage: extract_examples.py <shared/kalshi-api dir> <output dir>

Each example payload (YAML in the spec) is written as compact JSON, keys in the spec's order and
every value exactly as written there (strings stay strings: "0.960" keeps its three decimals).
Server -> client messages (payloads with a "type") go to current/ or legacy/; client commands
(payloads with a "cmd") to commands/. Ping/pong examples (non-JSON payloads) are skipped.
File name: <componentMessageKey>.<exampleName>.json.
"""
import json
import os
import sys

import yaml

SOURCES = {
    "current": "asyncapi.2026-08-22.yaml",
    "legacy": "asyncapi.legacy-int-fields.2026-02-25.yaml",
}


def main():
    spec_dir, out_dir = sys.argv[1], sys.argv[2]
    for tag, name in SOURCES.items():
        with open(os.path.join(spec_dir, name)) as f:
            spec = yaml.safe_load(f)
        for key, message in spec["components"]["messages"].items():
            for example in message.get("examples", []):
                payload = example.get("payload")
                if not isinstance(payload, dict):
                    continue
                if "type" in payload:
                    folder = tag
                elif "cmd" in payload and tag == "current":
                    folder = "commands"
                else:
                    continue
                path = os.path.join(out_dir, folder, f"{key}.{example['name']}.json")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as out:
                    out.write(json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
                    out.write("\n")
                print(f"{folder}/{os.path.basename(path)} <- {name} components.messages.{key} "
                      f"example '{example['name']}'")


if __name__ == "__main__":
    main()
