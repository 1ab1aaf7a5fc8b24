// AWS SDK for JavaScript v3 against a running hatrack: AssumeRole, the
// fromTemporaryCredentials provider (with a forced refresh) and AWS's
// errors. Prints "js sts: ok" on success; any failure exits non-zero.
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import assert from "node:assert/strict";

const endpoint = process.env.HATRACK_URL;
const region = "eu-central-1";
const user = { accessKeyId: process.env.USER_KEY, secretAccessKey: process.env.USER_SECRET };
const roleArn = process.env.ROLE_ARN;
const account = process.env.ACCOUNT;
const roleName = roleArn.split("/").pop();

const sts = new STSClient({ endpoint, region, credentials: user, maxAttempts: 1 });
const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "js-direct", DurationSeconds: 900 }));
assert.equal(out.AssumedRoleUser.Arn, `arn:aws:sts::${account}:assumed-role/${roleName}/js-direct`);
assert.match(out.Credentials.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
assert.ok(out.Credentials.Expiration instanceof Date);

// The temporary-credential provider assumes the role itself and refreshes.
const provider = fromTemporaryCredentials({
  masterCredentials: user,
  params: { RoleArn: roleArn, RoleSessionName: "js-provider", DurationSeconds: 900 },
  clientConfig: { endpoint, region, maxAttempts: 1 },
});
const asRole = new STSClient({ endpoint, region, credentials: provider, maxAttempts: 1 });
const id = await asRole.send(new GetCallerIdentityCommand({}));
assert.equal(id.Arn, `arn:aws:sts::${account}:assumed-role/${roleName}/js-provider`);
const first = await provider();
const refreshed = await provider({ forceRefresh: true });
assert.notEqual(first.accessKeyId, refreshed.accessKeyId, "forced refresh must fetch new credentials");
const id2 = await new STSClient({ endpoint, region, credentials: refreshed, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
assert.equal(id2.Arn, id.Arn);

// Chaining from the role session: more than an hour is refused.
const chained = new STSClient({ endpoint, region, credentials: refreshed, maxAttempts: 1 });
try {
  await chained.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "js-chain", DurationSeconds: 7200 }));
  assert.fail("chained 7200 s request succeeded");
} catch (e) {
  assert.equal(e.name, "ValidationError", String(e));
  assert.equal(e.message, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  assert.equal(e.$metadata.httpStatusCode, 400);
}
// Wrong secret.
try {
  await new STSClient({ endpoint, region, credentials: { ...user, secretAccessKey: "x".repeat(40) }, maxAttempts: 1 })
    .send(new GetCallerIdentityCommand({}));
  assert.fail("bad secret accepted");
} catch (e) {
  assert.equal(e.name, "SignatureDoesNotMatch", String(e));
}
console.log("js sts: ok");
