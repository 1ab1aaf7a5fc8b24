"""boto3 against a running hatrack: roles, policies and documents read back
decoded (botocore URL-decodes every policy document), and IAM error codes."""
import json
import os

import boto3
import botocore.exceptions
from botocore.config import Config

URL = os.environ["HATRACK_URL"]
ACCOUNT = os.environ["ACCOUNT"]
CFG = Config(retries={"max_attempts": 1}, region_name="us-east-1")
iam = boto3.client("iam", endpoint_url=URL, aws_access_key_id=os.environ["ROOT_KEY"],
                   aws_secret_access_key=os.environ["ROOT_SECRET"], config=CFG)


def expect_error(code, status, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"want {code}, got {got}: {e}"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == status, e.response
        return e.response["Error"]["Message"]
    raise AssertionError(f"want {code}, got success")


user = iam.create_user(UserName="boto-user")["User"]
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user["Arn"]},
                                                  "Action": "sts:AssumeRole", "Condition": {"StringLike": {"aws:UserAgent": "a b+c%d/e"}}}]}
role = iam.create_role(RoleName="boto-role", AssumeRolePolicyDocument=json.dumps(trust), Path="/x/",
                       Tags=[{"Key": "k", "Value": "v"}])["Role"]
assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/x/boto-role", role
# botocore decodes the URL-encoded document into a dict.
assert role["AssumeRolePolicyDocument"] == trust, role["AssumeRolePolicyDocument"]
got = iam.get_role(RoleName="boto-role")["Role"]
assert got["AssumeRolePolicyDocument"] == trust, got
assert got["Tags"] == [{"Key": "k", "Value": "v"}], got
assert got["MaxSessionDuration"] == 3600, got

doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/a+b c"}]}
iam.put_role_policy(RoleName="boto-role", PolicyName="inline", PolicyDocument=json.dumps(doc))
rp = iam.get_role_policy(RoleName="boto-role", PolicyName="inline")
assert rp["PolicyDocument"] == doc and rp["RoleName"] == "boto-role", rp
assert iam.list_role_policies(RoleName="boto-role")["PolicyNames"] == ["inline"]

pol = iam.create_policy(PolicyName="boto-pol", PolicyDocument=json.dumps(doc))["Policy"]
assert pol["DefaultVersionId"] == "v1" and pol["AttachmentCount"] == 0, pol
v = iam.get_policy_version(PolicyArn=pol["Arn"], VersionId="v1")["PolicyVersion"]
assert v["Document"] == doc and v["IsDefaultVersion"], v
iam.attach_role_policy(RoleName="boto-role", PolicyArn=pol["Arn"])
iam.attach_role_policy(RoleName="boto-role", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
att = iam.list_attached_role_policies(RoleName="boto-role")["AttachedPolicies"]
assert sorted(a["PolicyName"] for a in att) == ["AmazonS3ReadOnlyAccess", "boto-pol"], att
aws_doc = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", VersionId="v3")["PolicyVersion"]["Document"]
assert "s3:Get*" in aws_doc["Statement"][0]["Action"], aws_doc

details = iam.get_account_authorization_details(Filter=["Role"])
rd = details["RoleDetailList"][0]
assert rd["AssumeRolePolicyDocument"] == trust and rd["RolePolicyList"][0]["PolicyDocument"] == doc, rd

msg = expect_error("NoSuchEntity", 404, iam.get_role, RoleName="nope")
assert msg == "The role with name nope cannot be found.", msg
msg = expect_error("DeleteConflict", 409, iam.delete_role, RoleName="boto-role")
assert msg == "Cannot delete entity, must delete policies first.", msg
bad = dict(trust)
bad["Statement"] = [dict(trust["Statement"][0], Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/ghost"})]
msg = expect_error("MalformedPolicyDocument", 400, iam.create_role, RoleName="r2", AssumeRolePolicyDocument=json.dumps(bad))
assert msg == f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCOUNT}:user/ghost"', msg
expect_error("LimitExceeded", 409, iam.create_policy_version, PolicyArn=pol["Arn"],
             PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "a" * 6200, "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))

summary = iam.get_account_summary()["SummaryMap"]
assert summary["Roles"] == 1 and summary["Users"] == 1 and summary["Policies"] == 1, summary
iam.generate_credential_report()
report = iam.get_credential_report()
assert report["ReportFormat"] == "text/csv", report
assert report["Content"].startswith(b"user,arn,"), report["Content"][:40]
assert b"boto-user" in report["Content"], report["Content"]
print("boto3 iam: ok")
