"""The two user pools in the deployable template (issue 14): staff in a pool of their own that requires a
second factor, residents in one where they may opt in, and the staff pool's outputs reaching every function."""

from __future__ import annotations

from tests.unit.test_deploy_hardening import resources, template
from tests.unit.test_deploy_template import FUNCTIONS


def test_staff_sign_in_to_their_own_pool_with_an_authenticator_app_and_residents_may_opt_in():
    r = resources()
    staff, residents = r["StaffUserPool"], r["UserPool"]
    for pool in (staff, residents):
        assert pool["Condition"] == "InCloud"
        assert (pool["DeletionPolicy"], pool["UpdateReplacePolicy"]) == ("Retain", "Retain")
        assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
        assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
        assert pool["Properties"]["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]   # an authenticator app, no SMS
        assert "SmsConfiguration" not in pool["Properties"]
    # Cognito cannot require MFA of one group: staff have a pool that requires it of everyone in it
    assert staff["Properties"]["MfaConfiguration"] == "ON"
    assert residents["Properties"]["MfaConfiguration"] == "OPTIONAL"
    password = staff["Properties"]["Policies"]["PasswordPolicy"]
    assert password["MinimumLength"] >= 14 and password["TemporaryPasswordValidityDays"] <= 1
    assert all(password[k] is True for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers",
                                                "RequireSymbols"))
    residents_password = residents["Properties"]["Policies"]["PasswordPolicy"]
    assert password["MinimumLength"] > residents_password["MinimumLength"]
    # the staff pool's tokens last 30-60 minutes, refreshed for a working day at most
    client = r["StaffUserPoolClient"]["Properties"]
    assert client["UserPoolId"] == {"Ref": "StaffUserPool"}
    assert client["TokenValidityUnits"] == {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "hours"}
    assert 30 <= client["IdTokenValidity"] <= 60 and 30 <= client["AccessTokenValidity"] <= 60
    assert client["RefreshTokenValidity"] <= 12
    assert client["IdTokenValidity"] <= r["UserPoolClient"]["Properties"]["IdTokenValidity"]
    # staff are whoever is in the staff pool: no group anywhere is called staff, and the staff pool has none
    pools = {name: v["Properties"]["UserPoolId"]["Ref"] for name, v in r.items()
             if v.get("Type") == "AWS::Cognito::UserPoolGroup"}
    assert set(pools.values()) == {"UserPool"}
    assert "staff" not in {r[name]["Properties"]["GroupName"] for name in pools}


def test_the_staff_pools_outputs_exist_cloud_only_and_reach_every_function():
    outputs = template()["Outputs"]
    expected = {
        "StaffAuthJwksUrl": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${StaffUserPool}"
                                        "/.well-known/jwks.json"},
        "StaffAuthIssuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${StaffUserPool}"},
        "StaffAuthAudience": {"Ref": "StaffUserPoolClient"},
        "StaffUserPoolId": {"Ref": "StaffUserPool"},
    }
    for key, value in expected.items():
        assert outputs[key] == {"Condition": "InCloud", "Value": value}, key
    for function in FUNCTIONS:
        env = resources()[function]["Properties"]["Environment"]["Variables"]
        for key, name in (("StaffAuthJwksUrl", "STAFF_AUTH_JWKS_URL"), ("StaffAuthIssuer", "STAFF_AUTH_ISSUER"),
                          ("StaffAuthAudience", "STAFF_AUTH_AUDIENCE")):
            assert env[name] == {"Fn::If": ["InCloud", expected[key], {"Ref": "AWS::NoValue"}]}, (function, name)
