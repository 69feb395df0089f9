#!/usr/bin/env python3
"""Validates ssm-guard's ASFF output against the Security Hub API model, offline.

Each file is either one JSON array (`--format asff`) or JSON Lines of arrays
(`--format asff-batches`). Every array is checked as the `Findings` of one
`BatchImportFindings` request by botocore's own parameter validation (the API model's
required members, types, enums and minimums), then against what the model leaves to the
ASFF documentation: the maximum lengths, the one-line string pattern `.*\\S.*`, timestamp
and type formats, and a `ProductArn` of the finding's own account.

    python3 tests/asff/validate.py FILE...

Exit status: 0 when every finding is valid, 1 when some is not (each problem is printed),
3 when botocore is not installed (nothing was checked).
"""

import json
import re
import sys

try:
    import botocore.session
    import botocore.validate
except ImportError:
    print("botocore is not installed: pip install botocore", file=sys.stderr)
    sys.exit(3)

ONE_LINE = re.compile(r".*\S.*")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
ACCOUNT = re.compile(r"\d{12}")
PRODUCT_ARN = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-eusc):securityhub:"
    r"([a-z]{2}(-[a-z]+)+-\d+):(\d{12}):product/(\d{12})/default"
)
NAMESPACES = {
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
}
# The limits the ASFF documentation gives and the API model does not carry.
LIMITS = {
    "Id": 512,
    "GeneratorId": 512,
    "Title": 256,
    "Description": 1024,
    "ProductName": 128,
}


def model():
    session = botocore.session.get_session()
    client = session.create_client(
        "securityhub",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    return client.meta.service_model.operation_model("BatchImportFindings").input_shape


def strings(value, path):
    """Every string under `value`, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from strings(item, f"{path}[{n}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path + "." + key, key
            yield from strings(item, f"{path}.{key}")


def documented(finding, where):
    """What the ASFF documentation asks beyond the API model."""
    problems = []

    def problem(text):
        problems.append(f"{where}: {text}")

    for path, text in strings(finding, ""):
        if not ONE_LINE.fullmatch(text):
            problem(f"{path} is not one line with a non-blank character: {text!r}")
    for key, limit in LIMITS.items():
        if len(finding.get(key, "")) > limit:
            problem(f"{key} has {len(finding[key])} characters, more than {limit}")
    for key in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        if key in finding and not TIMESTAMP.fullmatch(finding[key]):
            problem(f"{key} is not an ASFF timestamp: {finding[key]!r}")
    if finding.get("SchemaVersion") != "2018-10-08":
        problem(f"SchemaVersion is {finding.get('SchemaVersion')!r}")
    account = finding.get("AwsAccountId", "")
    if not ACCOUNT.fullmatch(account):
        problem(f"AwsAccountId is not 12 digits: {account!r}")
    arn = PRODUCT_ARN.fullmatch(finding.get("ProductArn", ""))
    if not arn:
        problem(f"ProductArn is not a default integration's: {finding.get('ProductArn')!r}")
    elif not (arn.group(4) == arn.group(5) == account):
        problem("ProductArn names another account than AwsAccountId")
    elif finding.get("Region") not in (None, arn.group(2)):
        problem("ProductArn names another region than Region")
    types = finding.get("Types", [])
    provider_types = finding.get("FindingProviderFields", {}).get("Types", [])
    for kind in list(types) + list(provider_types):
        parts = kind.split("/")
        if not 1 <= len(parts) <= 3 or parts[0] not in NAMESPACES:
            problem(f"type {kind!r} is not namespace/category/classifier")
    if len(types) > 50:
        problem("more than 50 Types")
    resources = finding.get("Resources", [])
    if not 1 <= len(resources) <= 32:
        problem(f"{len(resources)} Resources, not 1 to 32")
    for n, resource in enumerate(resources):
        if len(resource.get("Type", "")) > 256 or len(resource.get("Id", "")) > 512:
            problem(f"Resources[{n}] has a Type over 256 or an Id over 512 characters")
        for key, value in resource.get("Details", {}).get("Other", {}).items():
            if len(key) > 128 or len(value) > 1024:
                problem(f"Resources[{n}].Details.Other.{key} is too long")
    fields = finding.get("ProductFields", {})
    if len(fields) > 50:
        problem("more than 50 ProductFields")
    for key, value in fields.items():
        if len(key) > 128 or len(value) > 2048:
            problem(f"ProductFields.{key} is too long")
    note = finding.get("Note")
    if note and (len(note["Text"]) > 512 or len(note["UpdatedBy"]) > 512):
        problem("Note.Text or Note.UpdatedBy has more than 512 characters")
    label = finding.get("Severity", {}).get("Label")
    if label is None:
        problem("no Severity.Label")
    return problems


def batches(path):
    """The arrays of a file: the whole file, or each line of JSON Lines."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def main(paths):
    shape = model()
    validator = botocore.validate.ParamValidator()
    problems = []
    findings = 0
    ids = {}
    for path in paths:
        for b, batch in enumerate(batches(path)):
            where = f"{path} batch {b + 1}"
            if not isinstance(batch, list):
                problems.append(f"{where}: not a JSON array")
                continue
            if not batch:
                continue
            report = validator.validate({"Findings": batch}, shape)
            if report.has_errors():
                problems.append(f"{where}: {report.generate_report()}")
            for n, finding in enumerate(batch):
                findings += 1
                problems.extend(documented(finding, f"{where} finding {n + 1}"))
                key = (path, finding.get("Id"))
                ids[key] = ids.get(key, 0) + 1
    for (path, finding_id), count in ids.items():
        if count > 1:
            problems.append(f"{path}: Id {finding_id} is used by {count} findings")
    for text in problems:
        print(text)
    print(f"{findings} findings checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
