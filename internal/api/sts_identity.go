package api

import (
	"context"
	"regexp"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
)

var reAccessKeyID = regexp.MustCompile(`^[\w]*$`)

func stsIdentityOps() []*Op {
	return []*Op{
		// GetCallerIdentity can never be denied (sts-api.md §8).
		{Service: "sts", Name: "GetCallerIdentity", NoAuthz: true,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return &struct {
					Arn     string
					UserId  string
					Account string
				}{c.Caller.ARN, c.Caller.UserID, c.Caller.Account}, nil
			}},
		{Service: "sts", Name: "GetAccessKeyInfo",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				id := c.str("AccessKeyId")
				var v awserr.Validation
				if id == "" {
					v.AddNull("accessKeyId")
				} else {
					if len(id) < 16 || len(id) > 128 {
						v.Add(id, "accessKeyId", "Member must have length between 16 and 128")
					}
					if !reAccessKeyID.MatchString(id) {
						v.Add(id, "accessKeyId", `Member must satisfy regular expression pattern: [\w]*`)
					}
				}
				if err := v.Err(); err != nil {
					return nil, err
				}
				acct, ok := ids.AccountFromAccessKeyID(id)
				if !ok {
					return nil, awserr.InvalidParameterValue("The access key ID %s is not valid.", id)
				}
				return &struct{ Account string }{acct}, nil
			}},
	}
}
