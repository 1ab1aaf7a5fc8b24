package iam

import (
	"context"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// Service-linked roles: created for an AWS service with a trust policy and
// permissions the service defines, under /aws-service-role/<service>/, and
// editable only by the service.

type slrService struct {
	RoleName    string // AWSServiceRoleFor…
	Policy      string // AWS-managed policy name under /aws-service-role/
	Description string
	Suffix      bool // CustomSuffix accepted
}

var slrServices = map[string]slrService{
	"autoscaling.amazonaws.com":          {"AWSServiceRoleForAutoScaling", "AutoScalingServiceRolePolicy", "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling", true},
	"elasticloadbalancing.amazonaws.com": {"AWSServiceRoleForElasticLoadBalancing", "AWSElasticLoadBalancingServiceRolePolicy", "Allows ELB to call AWS services on your behalf.", false},
	"rds.amazonaws.com":                  {"AWSServiceRoleForRDS", "AmazonRDSServiceRolePolicy", "Allows Amazon RDS to manage AWS resources on your behalf", false},
	"ecs.amazonaws.com":                  {"AWSServiceRoleForECS", "AmazonECSServiceRolePolicy", "Role to enable Amazon ECS to manage your cluster.", false},
	"organizations.amazonaws.com":        {"AWSServiceRoleForOrganizations", "AWSOrganizationsServiceTrustPolicy", "Service-linked role used by AWS Organizations to enable integration of other AWS services with Organizations.", false},
	"trustedadvisor.amazonaws.com":       {"AWSServiceRoleForTrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy", "Access for the AWS Trusted Advisor Service to help reduce cost, increase performance, and improve security of your AWS environment.", false},
	"eks.amazonaws.com":                  {"AWSServiceRoleForAmazonEKS", "AmazonEKSServiceRolePolicy", "Allows Amazon EKS to call AWS services on your behalf.", false},
	"eks-nodegroup.amazonaws.com":        {"AWSServiceRoleForAmazonEKSNodegroup", "AWSServiceRoleForAmazonEKSNodegroup", "This policy allows Amazon EKS to create and manage Nodegroups", false},
	"access-analyzer.amazonaws.com":      {"AWSServiceRoleForAccessAnalyzer", "AccessAnalyzerServiceRolePolicy", "", false},
}

// SLRDeletion is a service-linked role deletion task.
type SLRDeletion struct {
	ID      string
	Status  string // SUCCEEDED, IN_PROGRESS, FAILED, NOT_STARTED
	Role    string
	Created time.Time
}

// CreateServiceLinkedRole creates the role a service defines.
func (s *Service) CreateServiceLinkedRole(ctx context.Context, account, service, description, suffix string) (*Role, error) {
	var v awserr.Validation
	if service == "" {
		v.AddNull("aWSServiceName")
	} else if !reName.MatchString(service) || len(service) > 128 {
		v.Add(service, "aWSServiceName", "Member must satisfy regular expression pattern: "+patName)
	}
	checkDescription(&v, description)
	if suffix != "" {
		if len(suffix) > 64 || !reName.MatchString(suffix) {
			v.Add(suffix, "customSuffix", "Member must satisfy regular expression pattern: "+patName)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	def, ok := slrServices[service]
	if !ok {
		return nil, awserr.InvalidInput("Service name %s is not a valid service principal for a service-linked role.", service)
	}
	if suffix != "" && !def.Suffix {
		return nil, awserr.InvalidInput("Custom suffix is not allowed for %s", service)
	}
	name := def.RoleName
	if suffix != "" {
		name += "_" + suffix
	}
	if description == "" {
		description = def.Description
	}
	ro := &Role{Account: account, Path: "/aws-service-role/" + service + "/", Name: name, ID: ids.NewUniqueID("AROA"),
		Created: s.now().UTC().Truncate(time.Second), Description: description, MaxSessionDuration: defaultSessionLimit, ServiceLinked: true}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["` + service + `"]},"Action":["sts:AssumeRole"]}]}`
	err := s.store.Update(ctx, func(tx store.Tx) error {
		err := s.createRole(ctx, tx, ro, trust, "")
		if awserr.HasCode(err, "EntityAlreadyExists") {
			return awserr.InvalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		}
		if err != nil {
			return err
		}
		return attach(ctx, tx, account, entityRef{Type: EntityRole, ID: ro.ID}, "arn:aws:iam::aws:policy/aws-service-role/"+def.Policy)
	})
	if err != nil {
		return nil, err
	}
	return ro, nil
}

// DeleteServiceLinkedRole deletes a service-linked role (the services
// Hatrack models hold no resources that use their roles, so the deletion
// completes at once) and returns the deletion task id.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, account, name string) (string, error) {
	var taskID string
	err := s.store.Update(ctx, func(tx store.Tx) error {
		ro, _, err := s.getRole(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if !ro.ServiceLinked {
			return awserr.InvalidInput("Role %s is not a service-linked role.", ro.Name)
		}
		svc := strings.TrimSuffix(strings.TrimPrefix(ro.Path, "/aws-service-role/"), "/")
		taskID = "task/aws-service-role/" + svc + "/" + ro.Name + "/" + strings.ToLower(ids.NewRequestID())
		if err := s.deleteRole(ctx, tx, ro, true); err != nil {
			return err
		}
		t := &SLRDeletion{ID: taskID, Status: "SUCCEEDED", Role: ro.Name, Created: s.now().UTC()}
		return tx.Create(ctx, store.Record{Kind: KindSLRDeletion, Account: account, Name: taskID, Data: encode(t)})
	})
	return taskID, err
}

// GetServiceLinkedRoleDeletionStatus reports a deletion task's status.
func (s *Service) GetServiceLinkedRoleDeletionStatus(ctx context.Context, account, taskID string) (*SLRDeletion, error) {
	var v awserr.Validation
	if taskID == "" {
		v.AddNull("deletionTaskId")
	} else if len(taskID) > 1000 {
		v.Add(taskID, "deletionTaskId", "Member must have length less than or equal to 1000")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var t *SLRDeletion
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		t, _, err = get[SLRDeletion](ctx, r, KindSLRDeletion, account, taskID)
		if notFound(err) {
			return awserr.NoSuchEntity("Deletion task %s cannot be found.", taskID)
		}
		return err
	})
	return t, err
}
