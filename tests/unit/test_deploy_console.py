"""The console in the deployable template (issue 16), checked on the merge file: a private bucket only the
distribution reads, the distribution's two behaviours (the files; `/api/*` to the API, uncached, with the
Authorization header), its security headers, the hosted sign-in pages returning `#id_token=` to the
distribution's address, the outputs `make publish-console` reads, and the merged template free of the
dependency cycle the sign-in's callback would make (the API names its function by a fixed name)."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

from devstack.resources import output_env_name
from infra import merge
from tests.support import ROOT
from tests.unit.test_deploy_hardening import of_type, resources, template
from tests.unit.test_deploy_template import as_list, statements

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CONSOLE_URL = {"Fn::Sub": "https://${ConsoleDistribution.DomainName}/"}
CONSOLE = ["ConsoleBucket", "ConsoleBucketPolicy", "ConsoleLogsBucket", "ConsoleLogsBucketPolicy",
           "ConsoleOriginAccessControl", "ConsoleHeadersPolicy", "ConsoleDistribution", "StaffSignInDomain",
           "SignInDomain"]
OUTPUTS = ["ConsoleUrl", "ConsoleBucket", "ConsoleDistributionId", "ConsoleStaffSignInUrl", "ConsoleShopSignInUrl"]


def distribution() -> dict[str, Any]:
    config: dict[str, Any] = resources()["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    return config


def origin(origin_id: str) -> dict[str, Any]:
    (found,) = [o for o in distribution()["Origins"] if o["Id"] == origin_id]
    return dict(found)


def api_behaviour() -> dict[str, Any]:
    (found,) = distribution()["CacheBehaviors"]
    return dict(found)


def references(value: Any) -> set[str]:
    """The logical ids a piece of template refers to (Ref, Fn::GetAtt, `${X}`/`${X.Attr}` in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else inner[0]
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                if isinstance(inner, list):
                    found |= references(inner[1])
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def test_every_console_resource_and_output_is_cloud_only():
    r, outputs = resources(), template()["Outputs"]
    for name in CONSOLE:
        assert r[name]["Condition"] == "InCloud", name
    for name in OUTPUTS:
        assert outputs[name]["Condition"] == "InCloud", name


def test_the_console_bucket_is_private_versioned_encrypted_logged_and_refuses_plain_http():
    r = resources()
    for bucket, prefix in (("ConsoleBucket", "console/"), ("ConsoleLogsBucket", "console-logs/")):
        props = r[bucket]["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values()) and len(props["PublicAccessBlockConfiguration"]) == 4
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, bucket
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "AES256"}, bucket
        assert props["LoggingConfiguration"] == {"DestinationBucketName": {"Ref": "AccessLogsBucket"},
                                                 "LogFilePrefix": prefix}, bucket
        assert (r[bucket]["DeletionPolicy"], r[bucket]["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # no ACL grants anything on the files; the log bucket keeps ACLs only because CloudFront's logs use one
    assert r["ConsoleBucket"]["Properties"]["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert r["ConsoleLogsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] >= 731
    policies = {p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
                for p in of_type(r, "AWS::S3::BucketPolicy").values()}
    for bucket in ("ConsoleBucket", "ConsoleLogsBucket"):
        denies = [s for s in policies[bucket] if s["Effect"] == "Deny"]
        assert denies == [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                           "Resource": [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": "${" + bucket + ".Arn}/*"}],
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}], bucket
    # S3's log delivery may write the two buckets' access logs into the access-logs bucket
    (delivery,) = [s for s in policies["AccessLogsBucket"] if s["Effect"] == "Allow"]
    sources = [s["Fn::Sub"] for s in delivery["Condition"]["ArnLike"]["aws:SourceArn"]]
    for bucket in ("ConsoleBucket", "ConsoleLogsBucket"):
        assert "arn:${AWS::Partition}:s3:::" + r[bucket]["Properties"]["BucketName"]["Fn::Sub"] in sources, bucket


def test_only_the_distribution_may_read_the_console_bucket_by_its_arn_and_nobody_may_list_it():
    r = resources()
    (policy,) = [p for p in of_type(r, "AWS::S3::BucketPolicy").values()
                 if p["Properties"]["Bucket"] == {"Ref": "ConsoleBucket"}]
    (allow,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject" and allow["Resource"] == {"Fn::Sub": "${ConsoleBucket.Arn}/*"}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceArn": {"Fn::Sub": (
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}")}}}
    # through Origin Access Control (signed requests), not an origin access identity or a public website
    files = origin("console-files")
    assert files["DomainName"] == {"Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]}
    assert files["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert files["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    oac = r["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3", "always", "sigv4")
    assert "WebsiteConfiguration" not in r["ConsoleBucket"]["Properties"]


def test_the_default_behaviour_serves_the_files_with_index_html_at_the_root_over_https():
    d = distribution()
    assert d["Enabled"] is True and d["DefaultRootObject"] == "index.html"
    default = d["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "console-files"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    assert default["CachePolicyId"] == CACHING_OPTIMIZED
    assert [o["Id"] for o in d["Origins"]] == ["console-files", "api"]


def test_api_paths_go_to_the_api_uncached_with_the_authorization_header_and_the_query_strings():
    behaviour = api_behaviour()
    assert behaviour["PathPattern"] == "/api/*" and behaviour["TargetOriginId"] == "api"
    assert behaviour["ViewerProtocolPolicy"] == "https-only"   # a token is never sent over plain HTTP to be redirected
    assert sorted(behaviour["AllowedMethods"]) == sorted(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"])
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    # every viewer header but Host (so Authorization) and every query string; API Gateway routes by its own Host
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    api = origin("api")
    assert api["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert "OriginPath" not in api
    custom = api["CustomOriginConfig"]
    assert (custom["OriginProtocolPolicy"], custom["OriginSSLProtocols"]) == ("https-only", ["TLSv1.2"])
    assert custom["OriginReadTimeout"] >= 29   # API Gateway answers (or 504s) within 29 s
    # the stage is `api`, so /api/wallet reaches the route /wallet unchanged, in every stage
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert {stage["api_gateway_stage"] for stage in config["stages"].values()} == {"api"}


def test_error_answers_are_never_cached_nor_replaced_by_a_page():
    errors = distribution()["CustomErrorResponses"]
    # every code CloudFront would otherwise keep for 10 s: one caller's 401 or 404 is never the next one's
    assert {e["ErrorCode"] for e in errors} == {400, 403, 404, 405, 414, 500, 501, 502, 503, 504}
    for error in errors:
        assert error == {"ErrorCode": error["ErrorCode"], "ErrorCachingMinTTL": 0}   # no page, no other status


def _csp(policy: str) -> dict[str, list[str]]:
    directives = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def test_every_answer_carries_a_strict_content_security_policy_hsts_no_referrer_and_nosniff():
    headers = resources()["ConsoleHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = _csp(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert headers["ContentSecurityPolicy"]["Override"] is True
    for directive, sources in csp.items():   # this origin only: no CDN, no inline code, no eval
        assert set(sources) <= ({"'self'", "data:"} if directive == "img-src" else {"'self'", "'none'"}), directive
    # the policy the local stack's console server sends, so the app is tested locally under the cloud's
    from devstack.console_server import SECURITY_HEADERS

    assert csp == _csp(SECURITY_HEADERS["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000 and hsts["Override"] is True
    assert headers["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    for behaviour in (distribution()["DefaultCacheBehavior"], api_behaviour()):
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeadersPolicy"}


def test_the_distribution_logs_every_request_to_a_bucket_of_its_own_without_cookies():
    logging = distribution()["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": ["ConsoleLogsBucket", "DomainName"]}
    assert logging["IncludeCookies"] is False


def test_both_app_clients_sign_in_by_the_implicit_grant_only_back_to_the_distributions_address():
    r = resources()
    for client, pool, domain, suffix in (("StaffUserPoolClient", "StaffUserPool", "StaffSignInDomain", "staff"),
                                         ("UserPoolClient", "UserPool", "SignInDomain", "users")):
        props = r[client]["Properties"]
        assert props["AllowedOAuthFlowsUserPoolClient"] is True
        assert props["AllowedOAuthFlows"] == ["implicit"]   # the ID token in the fragment, no code, no secret
        assert props["AllowedOAuthScopes"] == ["openid", "email"]
        assert props["SupportedIdentityProviders"] == ["COGNITO"]
        assert props["CallbackURLs"] == [CONSOLE_URL] == props["LogoutURLs"]
        assert props["GenerateSecret"] is False
        hosted = r[domain]["Properties"]
        assert hosted["UserPoolId"] == {"Ref": pool}
        assert hosted["Domain"] == {"Fn::Sub": "${SignInDomainPrefix}-" + suffix}
        assert hosted["ManagedLoginVersion"] == 1   # the classic hosted UI: no branding resource to keep
    assert template()["Outputs"]["ConsoleUrl"]["Value"] == CONSOLE_URL
    # the staff's tokens still last 30 minutes, whichever way they sign in
    assert r["StaffUserPoolClient"]["Properties"]["IdTokenValidity"] == 30


def test_the_sign_in_domain_prefix_default_fits_its_pattern_and_cognitos_rules():
    parameter = template()["Parameters"]["SignInDomainPrefix"]
    assert re.fullmatch(parameter["AllowedPattern"], parameter["Default"])
    for bad in ("Seoro", "-seoro", "seoro-", "seoro_prod", "a" * 43):
        assert not re.fullmatch(parameter["AllowedPattern"], bad), bad


def test_the_outputs_give_the_console_its_address_bucket_distribution_and_each_sign_in_page():
    outputs = template()["Outputs"]
    assert outputs["ConsoleBucket"]["Value"] == {"Ref": "ConsoleBucket"}
    assert outputs["ConsoleDistributionId"]["Value"] == {"Ref": "ConsoleDistribution"}
    for key, suffix, client in (("ConsoleStaffSignInUrl", "staff", "StaffUserPoolClient"),
                                ("ConsoleShopSignInUrl", "users", "UserPoolClient")):
        url = outputs[key]["Value"]["Fn::Sub"]
        base, query = url.split("?")
        assert base == "https://${SignInDomainPrefix}-" + suffix + ".auth.${AWS::Region}.amazoncognito.com/login"
        params = dict(pair.split("=", 1) for pair in query.split("&"))
        assert params == {"client_id": "${" + client + "}", "response_type": "token", "scope": "openid+email",
                          "redirect_uri": "https%3A%2F%2F${ConsoleDistribution.DomainName}%2F"}
    # no setting reads them, so no function gets them (test_infra.py's CLOUD_ONLY stays the app's own)
    read = merge.settings_variables()
    for key in OUTPUTS:
        assert output_env_name(key) not in read, key


def test_the_api_names_its_function_by_a_fixed_name_its_role_may_log_under():
    t = template()
    name = t["Resources"]["APIHandler"]["Properties"]["FunctionName"]["Fn::Sub"]
    assert name == merge.API_FUNCTION_NAME
    (logs,) = [s for s in statements(t, "APIHandler") if "logs:PutLogEvents" in as_list(s["Action"])]
    pattern = logs["Resource"]["Fn::Sub"].split(":log-group:", 1)[1].removesuffix(":*")
    assert fnmatch.fnmatchcase("/aws/lambda/" + name, pattern)
    # every operation of every route, and every path's ANY method, calls the function by that name
    paths = t["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for path, methods in merge.route_methods().items():
        for method in [*methods, merge.ANY_METHOD]:
            assert paths[path][method]["x-amazon-apigateway-integration"]["uri"] == merge.API_INVOCATION_URI, (path, method)
    assert "APIHandler" not in references(t["Resources"]["RestAPI"])


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A dependency cycle of the graph, if it has one (depth-first, colouring)."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        trail.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        trail.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_merged_template_has_no_dependency_cycle_between_sign_in_distribution_api_and_function():
    r = template()["Resources"]
    graph = {name: (references(body) | set(as_list(body.get("DependsOn", [])))) & set(r) for name, body in r.items()}
    assert _cycle(graph) is None, _cycle(graph)
    # the chain that made the cycle is still there, so this test is not empty
    assert "RestAPI" in graph["ConsoleDistribution"] and "ConsoleDistribution" in graph["UserPoolClient"]
    assert "UserPoolClient" in graph["APIHandler"]
    # and the detector does find one when the API waits for its function again
    assert _cycle({**graph, "RestAPI": graph["RestAPI"] | {"APIHandler"}}) is not None
