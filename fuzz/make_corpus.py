#!/usr/bin/env python3
"""Writes fuzz/corpus/<target>/ (seeds) and fuzz/regressions/<target>/ (inputs that once broke
hangar, replayed by fuzz/run.sh on every run). Reproducible: run from the repository root after
changing a case: python3 fuzz/make_corpus.py
The saved-plan seed is copied from fuzz/corpus/saved_plan/plan.json, which `hangar plan --out`
wrote for policies/commercial without devices against an empty local tenant."""
import json, os, shutil

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(ROOT)
TENANT = "kind: Tenant\nname: t\ncloud: commercial\ntenantId: 00000000-0000-4000-8000-000000000001\n"
HASH = "QUJDREVGR0g="

def write(kind, target, name, content):
    folder = os.path.join(ROOT, kind, target)
    os.makedirs(folder, exist_ok=True)
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(os.path.join(folder, name), mode, **({} if mode == "wb" else {"newline": ""})) as f:
        f.write(content)

for kind in ("corpus", "regressions"):
    for target in ("yaml_loader", "csv_reader", "membership_rule", "graph_response"):
        shutil.rmtree(os.path.join(ROOT, kind, target), ignore_errors=True)

# --- YAML loader: the examples, every invalid fixture's case, and the hostile inputs.
for example in ("commercial", "gcc-high"):
    folder = os.path.join(REPO, "policies", example)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml"):
            write("corpus", "yaml_loader", f"{example}-{name}", open(os.path.join(folder, name), "rb").read())
invalid = os.path.join(REPO, "tests", "fixtures", "invalid")
for area in sorted(os.listdir(invalid)):
    for rule in sorted(os.listdir(os.path.join(invalid, area))):
        case = os.path.join(invalid, area, rule, "case.yaml")
        if os.path.isfile(case) and os.path.getsize(case) < 8192:
            write("corpus", "yaml_loader", f"invalid-{area}-{rule}.yaml", open(case, "rb").read())
write("corpus", "yaml_loader", "control.yaml", TENANT + '---\nkind: DeviceGroup\nname: "a\\e[2J\\u202e"\nmembership:\n  groupTag: "x\\0y"\n')
write("corpus", "yaml_loader", "binary.yaml", b"kind: DeviceGroup\nname: a\x00b\x01\xff\nmembership: [\n")
write("corpus", "yaml_loader", "secret.yaml", "AZURE_CLIENT_SECRET=s3cr3t-fuzz-value\nkind: : x\n")
write("corpus", "yaml_loader", "proc-source.yaml", TENANT + "---\nkind: AutopilotDevices\nname: d\nsource: /proc/self/environ\n")
write("corpus", "yaml_loader", "escape-source.yaml", TENANT + "---\nkind: AutopilotDevices\nname: d\nsource: ../../x.csv\n")
write("corpus", "yaml_loader", "quote-tag.yaml", TENANT + "---\nkind: DeviceGroup\nname: q\nmembership:\n  groupTag: 'Sa\"l''e`s'\n")
# Issue 12 item 4: columns past 65,535 made the renderer panic (exit 101).
write("regressions", "yaml_loader", "long-value.yaml", 'kind: DeviceGroup\nname: a\nmembership: assigned\ndescription: "' + "x" * 70000 + '" bad: [\n')
write("regressions", "yaml_loader", "flow-list.yaml", "kind: DeviceGroup\nname: b\nmembership: assigned\nowners: [" + ",".join(["x"] * 40000) + "]\n")
write("regressions", "yaml_loader", "long-tag.yaml", TENANT + "---\nkind: DeviceGroup\nname: l\nmembership:\n  groupTag: " + "x" * 100000 + "\n")

# --- devices CSV: the shapes Get-WindowsAutopilotInfo writes, and broken ones.
header = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User"
write("corpus", "csv_reader", "plain.csv", f"{header}\r\n5CG1,,{HASH},A,\r\n5CG2,,{HASH},A,user@contoso.com\r\n")
write("corpus", "csv_reader", "quoted.csv", f'"{header.replace(",", chr(34) + "," + chr(34))}"\n"5CG1","","{HASH}","A",""\n')
write("corpus", "csv_reader", "bom-lf.csv", "\ufeff" + f"{header}\n5CG1,,{HASH},,\n\n")
write("corpus", "csv_reader", "utf16.csv", b"\xff\xfe" + f"{header}\r\n5CG1,,{HASH},A,\r\n".encode("utf-16-le"))
write("corpus", "csv_reader", "short-row.csv", f"{header}\r\n5CG1,{HASH}\r\n")
write("corpus", "csv_reader", "unclosed.csv", f'{header}\r\n"5CG1,,{HASH},A,\r\n')
write("corpus", "csv_reader", "vm-serial.csv", f"{header}\r\nVMware-56 4d 1c 26,,{HASH},A,\r\n")
write("corpus", "csv_reader", "control-tag.csv", f"{header}\r\n5CG1,,{HASH},A\x1b[2J,\r\n")
write("corpus", "csv_reader", "bad-hash.csv", f"{header}\r\n5CG1,,not base64!,A,\r\n")
write("corpus", "csv_reader", "long-hash.csv", f"{header}\r\n5CG1,,{'QUJD' * 1100},A,extra\r\n")

# --- membership rules.
RULES = [
    '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))',
    'device.devicePhysicalIDs -any _ -startsWith "[ZTDId]"',
    '(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sa`"l\'\'e``s"))',
    '(device.displayName -match "^ENG-\\d+$") -and (device.deviceOSType -eq "Windows")',
    'device.deviceModel -in ["A", "B"] -or -not (device.accountEnabled -eq true)',
    'device.devicePhysicalIds -any (_ -eq "[OrderID]:X" -or _ -startsWith "[PurchaseOrderId]:")',
    'user.department -eq "Sales"',
    'device.displayName -eq \'single\'',
    'device.displayName -eq "a\\" b',
    "Sa\"l'e`s",
]
for index, rule in enumerate(RULES):
    write("corpus", "membership_rule", f"rule-{index:02d}.txt", rule)
write("regressions", "membership_rule", "too-long.txt", '(device.devicePhysicalIds -any (_ -eq "[OrderID]:' + "x" * 3100 + '"))')

# --- Graph answers: first byte 0 page, 1 batch, 2 error.
write("corpus", "graph_response", "page.json", b"\x00" + json.dumps({"value": [{"id": "1", "displayName": "a"}], "@odata.nextLink": "https://graph.microsoft.com/v1.0/groups?$skiptoken=x"}).encode())
write("corpus", "graph_response", "page-evil-link.json", b"\x00" + json.dumps({"value": [], "@odata.nextLink": "http://evil.example/v1.0/groups"}).encode())
write("corpus", "graph_response", "batch.json", b"\x01" + json.dumps({"responses": [
    {"id": "1", "status": 429, "headers": {"Retry-After": "7"}, "body": {"error": {"code": "TooManyRequests", "message": "x"}}},
    {"id": "2", "status": 201, "body": {"id": "g"}}]}).encode())
write("corpus", "graph_response", "intune-error.json", b"\x02" + json.dumps({"error": {"code": "BadRequest", "message": json.dumps({"_version": 3, "Message": "An internal server error has occurred - Operation ID: x", "CustomApiErrorPhrase": ""}), "innerError": {"request-id": "r"}}}).encode())
write("corpus", "graph_response", "not-json.txt", b"\x02<html>502 Bad Gateway\xff</html>")
print("corpus written")
