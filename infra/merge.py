"""Builds the file `chalice package --merge-template` takes: resources.yaml + functions.yaml + environment.

`chalice package` merges one file, so this one joins the two templates (with Chalice's own deep-merge
rule: mappings merge, anything else from the later file wins) and gives every Lambda function of the
app the environment the local stack gives it: each Output of resources.yaml whose variable name
(`TableName` → `TABLE_NAME`) the app's settings read, with the Output's own value. So the cloud and the
local stack derive the app's configuration from the same Outputs, by the same rule.

    python -m infra.merge out/merge.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from chalicelib.settings import Settings
from devstack.resources import output_env_name

INFRA = Path(__file__).resolve().parent
RESOURCES = INFRA / "resources.yaml"
FUNCTIONS = INFRA / "functions.yaml"
API_HANDLER = "APIHandler"


def load(path: Path) -> dict[str, Any]:
    """A template in YAML (long-form intrinsics only: `Fn::Sub:`, `Ref:`, never `!Sub`)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise ValueError(f"{path} is not a template")
    return doc


def deep_merge(base: Any, extra: Any) -> Any:
    """Chalice's TemplateDeepMerger rule: mappings merge key by key, anything else from `extra` wins."""
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = deep_merge(base.get(key), value)
        return merged
    return extra


class _Recorder(Mapping[str, str]):
    """An empty environment that remembers every name it was asked for."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def settings_variables() -> set[str]:
    """Every environment variable `Settings.from_env` reads."""
    recorder = _Recorder()
    Settings.from_env(recorder)
    return recorder.asked


def function_environment(resources: Mapping[str, Any]) -> dict[str, Any]:
    """The Outputs the app reads, as environment variables with the Outputs' values (intrinsics kept)."""
    wanted = settings_variables()
    env: dict[str, Any] = {}
    for key, output in resources.get("Outputs", {}).items():
        name = output_env_name(key)
        if name not in wanted:
            continue
        value = output["Value"]
        if "Condition" in output:  # an output under a condition gives a variable under the same condition
            value = {"Fn::If": [output["Condition"], value, {"Ref": "AWS::NoValue"}]}
        env[name] = value
    return env


def function_names() -> list[str]:
    """The logical ids `chalice package` gives the app's Lambda functions."""
    from chalice.utils import to_cfn_resource_name

    from app import app

    return [API_HANDLER, *(to_cfn_resource_name(source.name) for source in app.event_sources)]


ANY_METHOD = "x-amazon-apigateway-any-method"
# The API function's name, fixed (it matches the `<stack>-APIHandler-*` its role may log under), so that the
# API's routes name the function by a string instead of `${APIHandler.Arn}`: the console's distribution
# needs the API, the API's function needs the app clients' ids, and the clients' sign-in callback needs the
# distribution; with the API waiting for its function that is a cycle CloudFormation refuses.
API_FUNCTION_NAME = "${AWS::StackName}-APIHandler-api"
API_INVOCATION_URI = {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                                 "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
                                 + API_FUNCTION_NAME + "/invocations"}


def route_paths() -> list[str]:
    """Every path the app routes, as Chalice writes it into the API definition."""
    from app import app

    return sorted(app.routes)


def route_methods() -> dict[str, list[str]]:
    """Every path the app routes → its methods, as the API definition's operation keys (`get`, `post`, …)."""
    from app import app

    return {path: sorted(method.lower() for method in app.routes[path]) for path in sorted(app.routes)}


def wrong_methods_reach_the_app(paths: list[str]) -> dict[str, Any]:
    """API Gateway answers a method a path does not define as it answers an unknown path (403, then 404 by
    the gateway responses). An `ANY` method on every path, which API Gateway uses only for the methods the
    path does not define, sends those to the app instead, which answers 405 `METHOD_NOT_ALLOWED` with the
    `Allow` header, as the local stack does."""
    integration = {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "passthroughBehavior": "when_no_match",
        "contentHandling": "CONVERT_TO_TEXT",
        "uri": API_INVOCATION_URI,
    }
    operation = {"responses": {"405": {"description": "the methods the path takes are in Allow"}},
                 "x-amazon-apigateway-integration": integration}
    return {"Resources": {"RestAPI": {"Properties": {"DefinitionBody": {"paths": {
        path: {ANY_METHOD: operation} for path in paths}}}}}}


def routes_name_the_function(methods: dict[str, list[str]]) -> dict[str, Any]:
    """Every operation Chalice writes calls the API function by its fixed name (API_FUNCTION_NAME), and the
    function gets that name: the API no longer waits for the function (deep-merged over Chalice's own
    `${APIHandler.Arn}`, key by key, so only the `uri` changes)."""
    operation = {"x-amazon-apigateway-integration": {"uri": API_INVOCATION_URI}}
    return {"Resources": {
        API_HANDLER: {"Properties": {"FunctionName": {"Fn::Sub": API_FUNCTION_NAME}}},
        "RestAPI": {"Properties": {"DefinitionBody": {"paths": {
            path: {method: operation for method in ops} for path, ops in methods.items()}}}},
    }}


def build() -> dict[str, Any]:
    resources = load(RESOURCES)
    merged: dict[str, Any] = deep_merge(resources, load(FUNCTIONS))
    merged = deep_merge(merged, wrong_methods_reach_the_app(route_paths()))
    merged = deep_merge(merged, routes_name_the_function(route_methods()))
    env = function_environment(resources)
    for name in function_names():
        fn = merged["Resources"].setdefault(name, {})
        fn.setdefault("Properties", {}).setdefault("Environment", {}).setdefault("Variables", {}).update(env)
    return merged


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m infra.merge OUT.json", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
