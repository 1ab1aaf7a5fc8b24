"""boto3 against a running hatrack: Organizations over JSON 1.1 and SCPs."""
import os
import subprocess

import boto3
import botocore.exceptions
from botocore.config import Config

URL = os.environ["HATRACK_URL"]
ACCOUNT = os.environ["ACCOUNT"]
CFG = Config(retries={"max_attempts": 1}, region_name="us-east-1")


def client(service, key, secret):
    return boto3.client(service, endpoint_url=URL, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=CFG)


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"want {code}, got {got}: {e}"
        return e
    raise AssertionError(f"want {code}, got success")


orgs = client("organizations", os.environ["ROOT_KEY"], os.environ["ROOT_SECRET"])
org = orgs.describe_organization()["Organization"]
assert org["MasterAccountId"] == ACCOUNT and org["FeatureSet"] == "ALL", org
root = orgs.list_roots()["Roots"][0]
assert root["Id"].startswith("r-") and root["Name"] == "Root", root

status = orgs.create_account(AccountName="py", Email="py@example.com")["CreateAccountStatus"]
assert status["State"] == "SUCCEEDED", status
member = status["AccountId"]
assert status["RequestedTimestamp"].year >= 2024, status
accounts = orgs.list_accounts()["Accounts"]
assert {a["Id"] for a in accounts} == {ACCOUNT, member}, accounts

e = expect_error("MalformedPolicyDocumentException", orgs.create_policy, Name="bad", Description="",
                 Type="SERVICE_CONTROL_POLICY", Content="{")
assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
pol = orgs.create_policy(Name="deny-users", Description="", Type="SERVICE_CONTROL_POLICY",
                         Content='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}')
pid = pol["Policy"]["PolicySummary"]["Id"]
ou = orgs.create_organizational_unit(ParentId=root["Id"], Name="Py")["OrganizationalUnit"]
orgs.move_account(AccountId=member, SourceParentId=root["Id"], DestinationParentId=ou["Id"])
orgs.attach_policy(PolicyId=pid, TargetId=ou["Id"])
e = expect_error("DuplicatePolicyAttachmentException", orgs.attach_policy, PolicyId=pid, TargetId=ou["Id"])
e = expect_error("ConstraintViolationException", orgs.detach_policy, PolicyId="p-FullAWSAccess", TargetId=member)
assert e.response.get("Reason") == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED", e.response
assert e.response["ResponseMetadata"]["RequestId"], e.response

out = subprocess.run([os.environ["HATRACK_BIN"], "account", "root-keys", "--data", os.environ["HATRACK_DATA"],
                      "--account", member], check=True, capture_output=True, text=True).stdout
keys = dict(line.split(" = ", 1) for line in out.strip().splitlines())
member_iam = client("iam", keys["aws_access_key_id"], keys["aws_secret_access_key"])
e = expect_error("AccessDenied", member_iam.create_user, UserName="nope")
assert "with an explicit deny in a service control policy" in e.response["Error"]["Message"], e.response
member_orgs = client("organizations", keys["aws_access_key_id"], keys["aws_secret_access_key"])
expect_error("AccessDeniedException", member_orgs.list_accounts)
assert member_orgs.describe_organization()["Organization"]["Id"] == org["Id"]
client("iam", os.environ["ROOT_KEY"], os.environ["ROOT_SECRET"]).create_user(UserName="mgmt-py")
print("boto3 orgs: ok")
