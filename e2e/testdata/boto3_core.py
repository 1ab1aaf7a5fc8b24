"""boto3 against a running hatrack: identities, keys and error codes."""
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

URL = os.environ["HATRACK_URL"]
ACCOUNT = os.environ["ACCOUNT"]
CFG = Config(retries={"max_attempts": 1}, region_name="eu-west-1")


def client(service, key, secret, token=None):
    return boto3.client(service, endpoint_url=URL, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token, config=CFG)


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"want {code}, got {got}: {e}"
        return e
    raise AssertionError(f"want {code}, got success")


root_sts = client("sts", os.environ["ROOT_KEY"], os.environ["ROOT_SECRET"])
root_iam = client("iam", os.environ["ROOT_KEY"], os.environ["ROOT_SECRET"])

ident = root_sts.get_caller_identity()
assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:root", ident
assert ident["UserId"] == ACCOUNT, ident

user = root_iam.create_user(UserName="dave", Tags=[{"Key": "team", "Value": "ops"}])["User"]
assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/dave", user
assert user["Tags"] == [{"Key": "team", "Value": "ops"}], user
key = root_iam.create_access_key(UserName="dave")["AccessKey"]
dave_sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
ident = dave_sts.get_caller_identity()
assert ident["Arn"] == user["Arn"] and ident["UserId"] == user["UserId"], ident

e = expect_error("SignatureDoesNotMatch", client("sts", key["AccessKeyId"], "z" * 40).get_caller_identity)
assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403
expect_error("InvalidClientTokenId", client("sts", "AKIAQAAAAAAAAAAAAAAA", "z" * 40).get_caller_identity)
e = expect_error("NoSuchEntity", root_iam.get_user, UserName="nobody")
assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
assert e.response["Error"]["Message"] == "The user with name nobody cannot be found.", e.response
assert e.response["ResponseMetadata"]["RequestId"], e.response

root_iam.update_access_key(UserName="dave", AccessKeyId=key["AccessKeyId"], Status="Inactive")
expect_error("InvalidClientTokenId", dave_sts.get_caller_identity)
root_iam.update_access_key(UserName="dave", AccessKeyId=key["AccessKeyId"], Status="Active")
dave_sts.get_caller_identity()

last = root_iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
assert last["UserName"] == "dave", last
print("boto3 core: ok")
