#!/usr/bin/env python3
"""Trims an upstream CustomResourceDefinition to what hldc's tests check routes against.

usage: trim_crd.py UPSTREAM.yaml KIND VERSION SOURCE > schemas/crds/NAME.yaml

Keeps the one CRD of KIND from a multi-document file and, of its versions, VERSION only;
drops descriptions, `status` and CEL rules (`x-kubernetes-validations`, which hldc's checker
does not evaluate), so the file stays small and reviewable. SOURCE (repository, tag, path) is
recorded in an annotation so the schema can be refreshed from the same place.
"""
import sys

import yaml


def trim(node):
    if isinstance(node, dict):
        return {
            key: trim(value)
            for key, value in node.items()
            if not (key == "description" and isinstance(value, str)) and key != "x-kubernetes-validations"
        }
    if isinstance(node, list):
        return [trim(item) for item in node]
    return node


def main():
    path, kind, version, source = sys.argv[1:5]
    with open(path) as file:
        crds = [d for d in yaml.safe_load_all(file) if d and d.get("spec", {}).get("names", {}).get("kind") == kind]
    if len(crds) != 1:
        sys.exit(f"{path}: {len(crds)} CRDs of kind {kind}")
    crd = crds[0]
    crd["spec"]["versions"] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    if not crd["spec"]["versions"]:
        sys.exit(f"{path}: {kind} has no version {version}")
    for v in crd["spec"]["versions"]:
        v.pop("subresources", None)
        v.pop("additionalPrinterColumns", None)
        v["schema"]["openAPIV3Schema"]["properties"].pop("status", None)
        v["schema"]["openAPIV3Schema"] = trim(v["schema"]["openAPIV3Schema"])
    crd["metadata"] = {"name": crd["metadata"]["name"], "annotations": {"hldc.io/upstream": source}}
    print("# Trimmed by scripts/trim_crd.py: one version, no descriptions, status or CEL rules.")
    print(yaml.safe_dump(crd, sort_keys=True, width=120), end="")


main()
