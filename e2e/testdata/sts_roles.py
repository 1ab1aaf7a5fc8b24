"""boto3 against a running hatrack: AssumeRole directly and through role
profiles (role_arn + source_profile, external_id, chaining), with AWS's
error codes and messages."""
import os
import tempfile

import boto3
import botocore.exceptions
from botocore.config import Config

URL = os.environ["HATRACK_URL"]
ACCOUNT = os.environ["ACCOUNT"]
KEY, SECRET = os.environ["USER_KEY"], os.environ["USER_SECRET"]
ROLE, ROLE2, EXT = os.environ["ROLE_ARN"], os.environ["ROLE2_ARN"], os.environ["EXT_ROLE_ARN"]
CFG = Config(retries={"max_attempts": 1}, region_name="eu-west-1")


def expect_error(code, message, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == code, f"want {code}, got {err}"
        if message is not None:
            assert err["Message"] == message, f"want {message!r}, got {err['Message']!r}"
        return e
    raise AssertionError(f"want {code}, got success")


sts = boto3.client("sts", endpoint_url=URL, aws_access_key_id=KEY, aws_secret_access_key=SECRET, config=CFG)
out = sts.assume_role(RoleArn=ROLE, RoleSessionName="boto-direct", DurationSeconds=900)
creds = out["Credentials"]
assert creds["AccessKeyId"].startswith("ASIA"), creds
assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE.split('/')[-1]}/boto-direct", out
as_role = boto3.client("sts", endpoint_url=URL, aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"], config=CFG)
assert as_role.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
e = expect_error("ValidationError",
                 "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
                 as_role.assume_role, RoleArn=ROLE2, RoleSessionName="chain", DurationSeconds=7200)
assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
expect_error("AccessDenied", f"User: arn:aws:iam::{ACCOUNT}:user/{os.environ['USER_NAME']} is not authorized to perform: sts:AssumeRole on resource: {EXT}",
             sts.assume_role, RoleArn=EXT, RoleSessionName="s1", ExternalId="wrong-id")
expect_error("ValidationError", None, sts.assume_role, RoleArn=ROLE, RoleSessionName="bad name!")
expect_error("AccessDenied", "Roles may not be assumed by root accounts.",
             boto3.client("sts", endpoint_url=URL, aws_access_key_id=os.environ["ROOT_KEY"],
                          aws_secret_access_key=os.environ["ROOT_SECRET"], config=CFG).assume_role,
             RoleArn=ROLE, RoleSessionName="s1")

# Role profiles: botocore's AssumeRole provider, pointed at hatrack by
# AWS_ENDPOINT_URL (also used for its nested STS client).
with tempfile.TemporaryDirectory() as d:
    cfg = os.path.join(d, "config")
    with open(cfg, "w") as f:
        f.write(f"""[profile src]
aws_access_key_id = {KEY}
aws_secret_access_key = {SECRET}
region = eu-west-1

[profile role]
role_arn = {ROLE}
source_profile = src
role_session_name = boto-profile
region = eu-west-1

[profile chain]
role_arn = {ROLE2}
source_profile = role
role_session_name = boto-chain
duration_seconds = 7200
region = eu-west-1

[profile chain-ok]
role_arn = {ROLE2}
source_profile = role
role_session_name = boto-chain
region = eu-west-1

[profile ext]
role_arn = {EXT}
source_profile = src
external_id = ext-4711
region = eu-west-1
""")
    os.environ["AWS_CONFIG_FILE"] = cfg
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(d, "none")
    os.environ["AWS_ENDPOINT_URL"] = URL
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ.pop(k, None)
    ident = boto3.Session(profile_name="role").client("sts", config=CFG).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE.split('/')[-1]}/boto-profile", ident
    ident = boto3.Session(profile_name="chain-ok").client("sts", config=CFG).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE2.split('/')[-1]}/boto-chain", ident
    expect_error("ValidationError",
                 "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
                 boto3.Session(profile_name="chain").client("sts", config=CFG).get_caller_identity)
    ident = boto3.Session(profile_name="ext").client("sts", config=CFG).get_caller_identity()
    assert ident["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/"), ident

print("boto3 sts: ok")
