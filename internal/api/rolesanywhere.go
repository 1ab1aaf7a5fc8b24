package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
	ra "github.com/hatrack/hatrack/internal/federation/rolesanywhere"
	"github.com/hatrack/hatrack/internal/sts"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/policy"
)

// RolesAnywhere serves IAM Roles Anywhere's REST-JSON protocol: the control
// plane (trust anchors, profiles; SigV4 with signing name rolesanywhere,
// authorized as rolesanywhere:<Operation>) and CreateSession (the X.509
// signing scheme). Mount it on POST /sessions, /trustanchors,
// /trustanchor/, /profiles, /profiles/ (attribute mappings), /profile/,
// /crls, /crl/, /TagResource, /UntagResource and /ListTagsForResource.
type RolesAnywhere struct {
	D   *Dispatcher
	Svc *ra.Service
	Fed *Federation
}

// raServicePrincipal is the principal Roles Anywhere assumes roles as.
const raServicePrincipal = "rolesanywhere.amazonaws.com"

type raRoute struct {
	name    string
	mutates bool
	// resource, when set, names the ARN acted on from the request (the
	// tagging operations' resourceArn); otherwise the path's id does.
	resource func(c *Call, body []byte) string
	// tagsIn says where the request's tags are (aws:RequestTag/…,
	// aws:TagKeys): "tags" (create and TagResource) or "tagKeys"
	// (UntagResource, aws:TagKeys only).
	tagsIn string
	handle func(ctx context.Context, c *Call, id string, body []byte) (int, any, error)
}

func (h *RolesAnywhere) route(r *http.Request) (*raRoute, string) {
	p := strings.TrimSuffix(r.URL.Path, "/")
	seg := strings.Split(strings.TrimPrefix(p, "/"), "/")
	m := r.Method
	switch {
	case len(seg) == 1 && seg[0] == "sessions" && m == http.MethodPost:
		return &raRoute{name: "CreateSession", handle: h.createSession}, ""
	case len(seg) == 1 && seg[0] == "trustanchors" && m == http.MethodPost:
		return &raRoute{name: "CreateTrustAnchor", mutates: true, tagsIn: "tags", handle: h.createTrustAnchor}, ""
	case len(seg) == 1 && seg[0] == "trustanchors" && m == http.MethodGet:
		return &raRoute{name: "ListTrustAnchors", handle: h.listTrustAnchors}, ""
	case len(seg) == 2 && seg[0] == "trustanchor" && m == http.MethodGet:
		return &raRoute{name: "GetTrustAnchor", handle: h.getTrustAnchor}, seg[1]
	case len(seg) == 2 && seg[0] == "trustanchor" && m == http.MethodDelete:
		return &raRoute{name: "DeleteTrustAnchor", mutates: true, handle: h.deleteTrustAnchor}, seg[1]
	case len(seg) == 2 && seg[0] == "trustanchor" && m == http.MethodPatch:
		return &raRoute{name: "UpdateTrustAnchor", mutates: true, handle: h.updateTrustAnchor}, seg[1]
	case len(seg) == 3 && seg[0] == "trustanchor" && seg[2] == "enable" && m == http.MethodPost:
		return &raRoute{name: "EnableTrustAnchor", mutates: true, handle: h.enableTrustAnchor(true)}, seg[1]
	case len(seg) == 3 && seg[0] == "trustanchor" && seg[2] == "disable" && m == http.MethodPost:
		return &raRoute{name: "DisableTrustAnchor", mutates: true, handle: h.enableTrustAnchor(false)}, seg[1]
	case len(seg) == 1 && seg[0] == "profiles" && m == http.MethodPost:
		return &raRoute{name: "CreateProfile", mutates: true, tagsIn: "tags", handle: h.createProfile}, ""
	case len(seg) == 1 && seg[0] == "profiles" && m == http.MethodGet:
		return &raRoute{name: "ListProfiles", handle: h.listProfiles}, ""
	case len(seg) == 2 && seg[0] == "profile" && m == http.MethodGet:
		return &raRoute{name: "GetProfile", handle: h.getProfile}, seg[1]
	case len(seg) == 2 && seg[0] == "profile" && m == http.MethodDelete:
		return &raRoute{name: "DeleteProfile", mutates: true, handle: h.deleteProfile}, seg[1]
	case len(seg) == 2 && seg[0] == "profile" && m == http.MethodPatch:
		return &raRoute{name: "UpdateProfile", mutates: true, handle: h.updateProfile}, seg[1]
	case len(seg) == 3 && seg[0] == "profile" && seg[2] == "enable" && m == http.MethodPost:
		return &raRoute{name: "EnableProfile", mutates: true, handle: h.enableProfile(true)}, seg[1]
	case len(seg) == 3 && seg[0] == "profile" && seg[2] == "disable" && m == http.MethodPost:
		return &raRoute{name: "DisableProfile", mutates: true, handle: h.enableProfile(false)}, seg[1]
	case len(seg) == 3 && seg[0] == "profiles" && seg[2] == "mappings" && m == http.MethodPut:
		return &raRoute{name: "PutAttributeMapping", mutates: true, handle: h.putAttributeMapping}, seg[1]
	case len(seg) == 3 && seg[0] == "profiles" && seg[2] == "mappings" && m == http.MethodDelete:
		return &raRoute{name: "DeleteAttributeMapping", mutates: true, handle: h.deleteAttributeMapping}, seg[1]
	case len(seg) == 1 && seg[0] == "TagResource" && m == http.MethodPost:
		return &raRoute{name: "TagResource", mutates: true, resource: raBodyARN, tagsIn: "tags", handle: h.tagResource}, ""
	case len(seg) == 1 && seg[0] == "UntagResource" && m == http.MethodPost:
		return &raRoute{name: "UntagResource", mutates: true, resource: raBodyARN, tagsIn: "tagKeys", handle: h.untagResource}, ""
	case len(seg) == 1 && seg[0] == "ListTagsForResource" && m == http.MethodGet:
		return &raRoute{name: "ListTagsForResource", resource: func(c *Call, _ []byte) string { return c.HTTP.URL.Query().Get("resourceArn") },
			handle: h.listTagsForResource}, ""
	case len(seg) == 1 && seg[0] == "crls" && m == http.MethodPost:
		return &raRoute{name: "ImportCrl", mutates: true, tagsIn: "tags", handle: h.importCrl}, ""
	case len(seg) == 1 && seg[0] == "crls" && m == http.MethodGet:
		return &raRoute{name: "ListCrls", handle: h.listCrls}, ""
	case len(seg) == 2 && seg[0] == "crl" && m == http.MethodGet:
		return &raRoute{name: "GetCrl", handle: h.getCrl}, seg[1]
	case len(seg) == 2 && seg[0] == "crl" && m == http.MethodPatch:
		return &raRoute{name: "UpdateCrl", mutates: true, handle: h.updateCrl}, seg[1]
	case len(seg) == 2 && seg[0] == "crl" && m == http.MethodDelete:
		return &raRoute{name: "DeleteCrl", mutates: true, handle: h.deleteCrl}, seg[1]
	case len(seg) == 3 && seg[0] == "crl" && seg[2] == "enable" && m == http.MethodPost:
		return &raRoute{name: "EnableCrl", mutates: true, handle: h.enableCrl(true)}, seg[1]
	case len(seg) == 3 && seg[0] == "crl" && seg[2] == "disable" && m == http.MethodPost:
		return &raRoute{name: "DisableCrl", mutates: true, handle: h.enableCrl(false)}, seg[1]
	}
	return nil, ""
}

// ServeHTTP decodes a Roles Anywhere request and runs it through the
// dispatcher's shared steps.
func (h *RolesAnywhere) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := h.D
	call := d.begin(w, r)
	ctx := r.Context()
	rt, id := h.route(r)
	if rt == nil {
		writeRAError(w, call.RequestID, &awserr.Error{Code: "UnknownOperationException", Message: "Unknown operation", Status: http.StatusNotFound})
		return
	}
	body, err := d.readBody(w, r)
	if err != nil {
		e, _ := awserr.As(err)
		writeRAError(w, call.RequestID, e)
		return
	}
	status := http.StatusOK
	var out any
	resource := func(c *Call) string { return h.resourceARN(c, rt.name, id) }
	if rt.resource != nil {
		resource = func(c *Call) string {
			if a := rt.resource(c, body); a != "" {
				return a
			}
			return "*"
		}
	}
	call.Op = &Op{Service: ra.SigningName, Name: rt.name, Mutates: rt.mutates,
		Unsigned: rt.name == "CreateSession", NoAuthz: rt.name == "CreateSession",
		Resource: resource,
		Context:  func(c *Call, pc *policy.Context) { h.tagContext(ctx, c, rt, resource(c), body, pc) },
		Handle: func(ctx context.Context, c *Call) (any, error) {
			var err error
			status, out, err = rt.handle(ctx, c, id, body)
			return out, err
		}}
	_, err = d.run(ctx, call, body)
	if err != nil {
		e := raWire(ctx, call, err)
		d.record(ctx, call, nil, e)
		writeRAError(w, call.RequestID, e)
		return
	}
	d.record(ctx, call, out, nil)
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", call.RequestID)
	w.WriteHeader(status)
	w.Write(b)
}

func (h *RolesAnywhere) resourceARN(c *Call, op, id string) string {
	if id == "" || c.Caller == nil {
		return "*"
	}
	kind := "profile"
	switch {
	case strings.Contains(op, "TrustAnchor"):
		kind = "trust-anchor"
	case strings.HasSuffix(op, "Crl"):
		kind = "crl"
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	return "arn:aws:rolesanywhere:" + region + ":" + c.Caller.Account + ":" + kind + "/" + id
}

// raBodyARN is the resourceArn member of a tagging request's body.
func raBodyARN(_ *Call, body []byte) string {
	var in struct {
		ResourceArn string `json:"resourceArn"`
	}
	json.Unmarshal(body, &in)
	return in.ResourceArn
}

// tagContext adds the tag condition keys the Service Authorization
// Reference lists for Roles Anywhere: aws:RequestTag/… and aws:TagKeys
// from a create or TagResource request's tags, aws:TagKeys from
// UntagResource's keys, and aws:ResourceTag/… of the trust anchor, profile
// or CRL acted on.
func (h *RolesAnywhere) tagContext(ctx context.Context, c *Call, rt *raRoute, resource string, body []byte, pc *policy.Context) {
	switch rt.tagsIn {
	case "tags":
		var in struct {
			Tags []ra.Tag `json:"tags"`
		}
		if json.Unmarshal(body, &in) == nil && len(in.Tags) > 0 {
			keys := make([]string, 0, len(in.Tags))
			for _, t := range in.Tags {
				pc.Set("aws:RequestTag/"+t.Key, t.Value)
				keys = append(keys, t.Key)
			}
			pc.Set("aws:TagKeys", keys...)
		}
	case "tagKeys":
		var in struct {
			TagKeys []string `json:"tagKeys"`
		}
		if json.Unmarshal(body, &in) == nil && len(in.TagKeys) > 0 {
			pc.Set("aws:TagKeys", in.TagKeys...)
		}
	}
	if resource == "*" || c.Caller == nil {
		return
	}
	tags, err := h.Svc.ResourceTags(ctx, c.Caller.Account, resource)
	if err != nil {
		return
	}
	for _, t := range tags {
		pc.Set("aws:ResourceTag/"+t.Key, t.Value)
	}
}

// raWire maps errors to the REST-JSON vocabulary.
func raWire(ctx context.Context, c *Call, err error) *awserr.Error {
	var ae *ra.APIError
	if errors.As(err, &ae) {
		return &awserr.Error{Code: ae.Type, Message: ae.Msg, Status: ae.Status}
	}
	var xe *ra.Error
	if errors.As(err, &xe) {
		return &awserr.Error{Code: "AccessDeniedException", Message: xe.Msg, Status: http.StatusForbidden}
	}
	e := toWire(ctx, c.Logger(), "rolesanywhere", err)
	switch e.Code {
	case "AccessDenied":
		e = &awserr.Error{Code: "AccessDeniedException", Message: e.Message, Status: http.StatusForbidden}
	case "InvalidClientTokenId":
		e = &awserr.Error{Code: "UnrecognizedClientException", Message: e.Message, Status: http.StatusForbidden}
	case "SignatureDoesNotMatch":
		e = &awserr.Error{Code: "InvalidSignatureException", Message: e.Message, Status: http.StatusForbidden}
	case "ValidationError", "InvalidInput", "MalformedPolicyDocument":
		e = &awserr.Error{Code: "ValidationException", Message: e.Message, Status: http.StatusBadRequest}
	}
	return e
}

func writeRAError(w http.ResponseWriter, reqID string, e *awserr.Error) {
	if e == nil {
		e = awserr.InternalFailure()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", reqID)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(map[string]string{"message": e.Message})
	w.Write(b)
}

func decodeBody(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &ra.APIError{Status: http.StatusBadRequest, Type: "ValidationException", Msg: "The request body is not valid JSON"}
	}
	return nil
}

func raRegion(c *Call) string {
	if c.Region == "" {
		return "us-east-1"
	}
	return c.Region
}

// Control plane.

func (h *RolesAnywhere) createTrustAnchor(ctx context.Context, c *Call, _ string, body []byte) (int, any, error) {
	var in struct {
		Name    string    `json:"name"`
		Source  ra.Source `json:"source"`
		Enabled *bool     `json:"enabled"`
		Tags    []ra.Tag  `json:"tags"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	enabled := in.Enabled != nil && *in.Enabled
	t, err := h.Svc.CreateTrustAnchor(ctx, c.Caller.Account, raRegion(c), in.Name, in.Source, enabled, in.Tags)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"trustAnchor": raAnchorJSON(t)}, nil
}

// raTime renders timestamps as the service does (ISO 8601, UTC).
func raTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func raAnchorJSON(t *ra.TrustAnchor) map[string]any {
	return map[string]any{"trustAnchorId": t.TrustAnchorID, "trustAnchorArn": t.ARN, "name": t.Name, "source": t.Source,
		"enabled": t.Enabled, "createdAt": raTime(t.CreatedAt), "updatedAt": raTime(t.UpdatedAt), "notificationSettings": []any{}}
}

func raProfileJSON(p *ra.Profile) map[string]any {
	m := map[string]any{"profileId": p.ProfileID, "profileArn": p.ARN, "name": p.Name, "roleArns": p.RoleArns,
		"managedPolicyArns": p.ManagedPolicyArns, "durationSeconds": p.DurationSeconds, "enabled": p.Enabled,
		"requireInstanceProperties": p.RequireInstanceProps, "acceptRoleSessionName": p.AcceptRoleSessionName,
		"createdBy": p.CreatedBy, "createdAt": raTime(p.CreatedAt), "updatedAt": raTime(p.UpdatedAt), "attributeMappings": raMappingsJSON(p.AttributeMappings)}
	if p.SessionPolicy != "" {
		m["sessionPolicy"] = p.SessionPolicy
	}
	return m
}

// raMappingsJSON renders a profile's attribute mappings (a list, even
// when empty).
func raMappingsJSON(ms []ra.AttributeMapping) []ra.AttributeMapping {
	if ms == nil {
		return []ra.AttributeMapping{}
	}
	return ms
}

func (h *RolesAnywhere) listTrustAnchors(ctx context.Context, c *Call, _ string, _ []byte) (int, any, error) {
	ts, err := h.Svc.ListTrustAnchors(ctx, c.Caller.Account)
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	for _, t := range ts {
		out = append(out, raAnchorJSON(t))
	}
	return http.StatusOK, map[string]any{"trustAnchors": out}, nil
}

func (h *RolesAnywhere) getTrustAnchor(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	t, err := h.Svc.GetTrustAnchor(ctx, c.Caller.Account, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"trustAnchor": raAnchorJSON(t)}, nil
}

func (h *RolesAnywhere) deleteTrustAnchor(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	t, err := h.Svc.DeleteTrustAnchor(ctx, c.Caller.Account, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"trustAnchor": raAnchorJSON(t)}, nil
}

func (h *RolesAnywhere) updateTrustAnchor(ctx context.Context, c *Call, id string, body []byte) (int, any, error) {
	var in struct {
		Name   *string    `json:"name"`
		Source *ra.Source `json:"source"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.Svc.UpdateTrustAnchor(ctx, c.Caller.Account, id, func(t *ra.TrustAnchor) error {
		if in.Name != nil {
			t.Name = *in.Name
		}
		if in.Source != nil {
			if in.Source.SourceType != ra.SourceBundle || len(in.Source.SourceData.X509CertificateData) == 0 {
				return &ra.APIError{Status: http.StatusBadRequest, Type: "ValidationException", Msg: "Only CERTIFICATE_BUNDLE sources are supported"}
			}
			t.Source = *in.Source
			if len(t.Certificates()) == 0 {
				return &ra.APIError{Status: http.StatusBadRequest, Type: "ValidationException", Msg: "Invalid certificate bundle"}
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"trustAnchor": raAnchorJSON(t)}, nil
}

func (h *RolesAnywhere) enableTrustAnchor(on bool) func(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	return func(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
		t, err := h.Svc.UpdateTrustAnchor(ctx, c.Caller.Account, id, func(t *ra.TrustAnchor) error { t.Enabled = on; return nil })
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]any{"trustAnchor": raAnchorJSON(t)}, nil
	}
}

func (h *RolesAnywhere) createProfile(ctx context.Context, c *Call, _ string, body []byte) (int, any, error) {
	var in ra.ProfileInput
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	p, err := h.Svc.CreateProfile(ctx, c.Caller.Account, raRegion(c), c.Caller.ARN, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"profile": raProfileJSON(p)}, nil
}

func (h *RolesAnywhere) listProfiles(ctx context.Context, c *Call, _ string, _ []byte) (int, any, error) {
	ps, err := h.Svc.ListProfiles(ctx, c.Caller.Account)
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	for _, p := range ps {
		out = append(out, raProfileJSON(p))
	}
	return http.StatusOK, map[string]any{"profiles": out}, nil
}

func (h *RolesAnywhere) getProfile(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	p, err := h.Svc.GetProfile(ctx, c.Caller.Account, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"profile": raProfileJSON(p)}, nil
}

func (h *RolesAnywhere) deleteProfile(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	p, err := h.Svc.DeleteProfile(ctx, c.Caller.Account, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"profile": raProfileJSON(p)}, nil
}

func (h *RolesAnywhere) updateProfile(ctx context.Context, c *Call, id string, body []byte) (int, any, error) {
	var in struct {
		Name                  *string   `json:"name"`
		RoleArns              *[]string `json:"roleArns"`
		SessionPolicy         *string   `json:"sessionPolicy"`
		ManagedPolicyArns     *[]string `json:"managedPolicyArns"`
		DurationSeconds       *int      `json:"durationSeconds"`
		AcceptRoleSessionName *bool     `json:"acceptRoleSessionName"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	p, err := h.Svc.UpdateProfile(ctx, c.Caller.Account, id, func(p *ra.Profile) error {
		if in.Name != nil {
			p.Name = *in.Name
		}
		if in.RoleArns != nil {
			p.RoleArns = *in.RoleArns
		}
		if in.SessionPolicy != nil {
			p.SessionPolicy = *in.SessionPolicy
		}
		if in.ManagedPolicyArns != nil {
			p.ManagedPolicyArns = *in.ManagedPolicyArns
		}
		if in.DurationSeconds != nil {
			p.DurationSeconds = *in.DurationSeconds
		}
		if in.AcceptRoleSessionName != nil {
			p.AcceptRoleSessionName = *in.AcceptRoleSessionName
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"profile": raProfileJSON(p)}, nil
}

func (h *RolesAnywhere) enableProfile(on bool) func(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	return func(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
		p, err := h.Svc.UpdateProfile(ctx, c.Caller.Account, id, func(p *ra.Profile) error { p.Enabled = on; return nil })
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]any{"profile": raProfileJSON(p)}, nil
	}
}

// Attribute mappings.

func (h *RolesAnywhere) putAttributeMapping(ctx context.Context, c *Call, id string, body []byte) (int, any, error) {
	var in struct {
		CertificateField *string `json:"certificateField"`
		MappingRules     *[]struct {
			Specifier *string `json:"specifier"`
		} `json:"mappingRules"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	switch {
	case in.CertificateField == nil:
		return 0, nil, raNotNull("certificateField")
	case in.MappingRules == nil:
		return 0, nil, raNotNull("mappingRules")
	}
	rules := make([]ra.MappingRule, 0, len(*in.MappingRules))
	for i, r := range *in.MappingRules {
		if r.Specifier == nil {
			return 0, nil, raNotNull(fmt.Sprintf("mappingRules.%d.member.specifier", i+1))
		}
		rules = append(rules, ra.MappingRule{Specifier: *r.Specifier})
	}
	p, err := h.Svc.PutAttributeMapping(ctx, c.Caller.Account, id, *in.CertificateField, rules)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"profile": raProfileJSON(p)}, nil
}

func (h *RolesAnywhere) deleteAttributeMapping(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	q := c.HTTP.URL.Query()
	if !q.Has("certificateField") {
		return 0, nil, raNotNull("certificateField")
	}
	p, err := h.Svc.DeleteAttributeMapping(ctx, c.Caller.Account, id, q.Get("certificateField"), q["specifiers"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"profile": raProfileJSON(p)}, nil
}

// Tags.

func (h *RolesAnywhere) tagResource(ctx context.Context, c *Call, _ string, body []byte) (int, any, error) {
	var in struct {
		ResourceArn *string   `json:"resourceArn"`
		Tags        *[]ra.Tag `json:"tags"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	switch {
	case in.ResourceArn == nil:
		return 0, nil, raNotNull("resourceArn")
	case in.Tags == nil:
		return 0, nil, raNotNull("tags")
	}
	if err := h.Svc.TagResource(ctx, c.Caller.Account, *in.ResourceArn, *in.Tags); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{}, nil
}

func (h *RolesAnywhere) untagResource(ctx context.Context, c *Call, _ string, body []byte) (int, any, error) {
	var in struct {
		ResourceArn *string   `json:"resourceArn"`
		TagKeys     *[]string `json:"tagKeys"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	switch {
	case in.ResourceArn == nil:
		return 0, nil, raNotNull("resourceArn")
	case in.TagKeys == nil:
		return 0, nil, raNotNull("tagKeys")
	}
	if err := h.Svc.UntagResource(ctx, c.Caller.Account, *in.ResourceArn, *in.TagKeys); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{}, nil
}

func (h *RolesAnywhere) listTagsForResource(ctx context.Context, c *Call, _ string, _ []byte) (int, any, error) {
	q := c.HTTP.URL.Query()
	if !q.Has("resourceArn") {
		return 0, nil, raNotNull("resourceArn")
	}
	tags, err := h.Svc.ResourceTags(ctx, c.Caller.Account, q.Get("resourceArn"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"tags": tags}, nil
}

// Certificate revocation lists.

func raCrlJSON(c *ra.CRL) map[string]any {
	return map[string]any{"crlId": c.CrlID, "crlArn": c.ARN, "name": c.Name, "enabled": c.Enabled,
		"crlData": base64.StdEncoding.EncodeToString(c.CrlData), "trustAnchorArn": c.TrustAnchorARN,
		"createdAt": raTime(c.CreatedAt), "updatedAt": raTime(c.UpdatedAt)}
}

func raValidation(format string, args ...any) error {
	return &ra.APIError{Status: http.StatusBadRequest, Type: "ValidationException", Msg: fmt.Sprintf(format, args...)}
}

// raBlob decodes a REST-JSON blob member (base64).
func raBlob(member string, v *string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*v))
	if err != nil {
		return nil, raValidation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must be base64-encoded binary data", member)
	}
	return b, nil
}

func raNotNull(member string) error {
	return raValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func (h *RolesAnywhere) importCrl(ctx context.Context, c *Call, _ string, body []byte) (int, any, error) {
	var in struct {
		Name           *string  `json:"name"`
		CrlData        *string  `json:"crlData"`
		Enabled        *bool    `json:"enabled"`
		Tags           []ra.Tag `json:"tags"`
		TrustAnchorArn *string  `json:"trustAnchorArn"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	switch {
	case in.CrlData == nil:
		return 0, nil, raNotNull("crlData")
	case in.Name == nil:
		return 0, nil, raNotNull("name")
	case in.TrustAnchorArn == nil:
		return 0, nil, raNotNull("trustAnchorArn")
	}
	data, err := raBlob("crlData", in.CrlData)
	if err != nil {
		return 0, nil, err
	}
	crl, err := h.Svc.ImportCRL(ctx, c.Caller.Account, raRegion(c), ra.CRLInput{Name: *in.Name, CrlData: data,
		Enabled: in.Enabled != nil && *in.Enabled, Tags: in.Tags, TrustAnchorARN: *in.TrustAnchorArn})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"crl": raCrlJSON(crl)}, nil
}

func (h *RolesAnywhere) listCrls(ctx context.Context, c *Call, _ string, _ []byte) (int, any, error) {
	q := c.HTTP.URL.Query()
	pageSize := 0
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, raValidation("1 validation error detected: Value '%s' at 'pageSize' failed to satisfy constraint: Member must be a positive integer", v)
		}
		pageSize = n
	}
	crls, next, err := h.Svc.ListCRLs(ctx, c.Caller.Account, pageSize, q.Get("nextToken"))
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	for _, crl := range crls {
		out = append(out, raCrlJSON(crl))
	}
	res := map[string]any{"crls": out}
	if next != "" {
		res["nextToken"] = next
	}
	return http.StatusOK, res, nil
}

func (h *RolesAnywhere) getCrl(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	crl, err := h.Svc.GetCRL(ctx, c.Caller.Account, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"crl": raCrlJSON(crl)}, nil
}

func (h *RolesAnywhere) updateCrl(ctx context.Context, c *Call, id string, body []byte) (int, any, error) {
	var in struct {
		Name    *string `json:"name"`
		CrlData *string `json:"crlData"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	u := ra.CRLUpdate{Name: in.Name}
	if in.CrlData != nil {
		data, err := raBlob("crlData", in.CrlData)
		if err != nil {
			return 0, nil, err
		}
		if len(data) == 0 {
			return 0, nil, raValidation("1 validation error detected: Value at 'crlData' failed to satisfy constraint: Member must have length greater than or equal to 1")
		}
		u.CrlData = data
	}
	crl, err := h.Svc.UpdateCRL(ctx, c.Caller.Account, id, u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"crl": raCrlJSON(crl)}, nil
}

func (h *RolesAnywhere) deleteCrl(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	crl, err := h.Svc.DeleteCRL(ctx, c.Caller.Account, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"crl": raCrlJSON(crl)}, nil
}

func (h *RolesAnywhere) enableCrl(on bool) func(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
	return func(ctx context.Context, c *Call, id string, _ []byte) (int, any, error) {
		crl, err := h.Svc.UpdateCRL(ctx, c.Caller.Account, id, ra.CRLUpdate{Enabled: &on})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]any{"crl": raCrlJSON(crl)}, nil
	}
}

// Data plane.

// validTags keeps the tags the session-tag grammar accepts.
func validTags(in []token.Tag) []token.Tag {
	var out []token.Tag
	for _, t := range in {
		if sts.CheckTags([]token.Tag{t}, nil, nil) == nil {
			out = append(out, t)
		}
	}
	return out
}

func (h *RolesAnywhere) createSession(ctx context.Context, c *Call, _ string, body []byte) (int, any, error) {
	now := h.Fed.now()
	signed, err := ra.Verify(c.HTTP, body, now)
	if err != nil {
		return 0, nil, err
	}
	c.Region = signed.Region
	q := c.HTTP.URL.Query()
	profileARN, roleARN, anchorARN := q.Get("profileArn"), q.Get("roleArn"), q.Get("trustAnchorArn")
	if profileARN == "" || roleARN == "" || anchorARN == "" {
		return 0, nil, &ra.APIError{Status: http.StatusBadRequest, Type: "ValidationException", Msg: "profileArn, roleArn and trustAnchorArn are required"}
	}
	var in struct {
		DurationSeconds *int   `json:"durationSeconds"`
		RoleSessionName string `json:"roleSessionName"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	anchor, err := h.Svc.TrustAnchorByARN(ctx, anchorARN)
	if err != nil || !anchor.Enabled {
		return 0, nil, ra.AccessDenied("Untrusted certificate. Insufficient certificate")
	}
	chains, err := ra.VerifyChains(signed.Leaf, signed.Chain, anchor.Certificates(), now)
	if err != nil {
		return 0, nil, ra.AccessDenied("%s", err.Error())
	}
	// Revocation: the leaf, or an intermediate of its chain, listed by an
	// enabled CRL of the anchor that validated it.
	isRevoked, err := h.Svc.AnchorRevocations(ctx, anchor)
	if err != nil {
		return 0, nil, err
	}
	if err := ra.CheckRevoked(chains, isRevoked); err != nil {
		return 0, nil, ra.AccessDenied("%s", err.Error())
	}
	profile, err := h.Svc.ProfileByARN(ctx, profileARN)
	if err != nil || !profile.Enabled || profile.Account != anchor.Account {
		return 0, nil, ra.AccessDenied("Unable to find profile or profile is disabled")
	}
	listed := false
	for _, r := range profile.RoleArns {
		if r == roleARN {
			listed = true
		}
	}
	if !listed {
		return 0, nil, ra.AccessDenied("Unable to assume role for arn: %s, the role is not listed in the profile", roleARN)
	}
	leaf := signed.Leaf
	sessionName := leaf.SerialNumber.String()
	if in.RoleSessionName != "" {
		if !profile.AcceptRoleSessionName {
			return 0, nil, &ra.APIError{Status: http.StatusBadRequest, Type: "ValidationException", Msg: "The profile does not accept a role session name"}
		}
		sessionName = in.RoleSessionName
	}
	var v awserr.Validation
	sts.CheckSessionName(&v, sessionName)
	if err := v.Err(); err != nil {
		return 0, nil, err
	}
	// The profile's attribute mappings decide which certificate
	// attributes become principal tags.
	var certTags []token.Tag
	for _, tg := range ra.SessionTags(leaf, profile.AttributeMappings) {
		certTags = append(certTags, token.Tag{Key: tg.Key, Value: tg.Value})
	}
	tags := validTags(certTags)
	sourceIdentity := ra.SourceIdentity(leaf)
	var sv awserr.Validation
	sts.CheckSourceIdentity(&sv, sourceIdentity)
	if sv.Err() != nil {
		sourceIdentity = ""
	}
	role, trust, err := h.Fed.fedRole(ctx, roleARN)
	if err != nil {
		return 0, nil, err
	}
	actions := []string{"sts:AssumeRole", "sts:TagSession"}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	t := &authz.Trust{Principal: &policy.Principal{Type: policy.ServicePrincipal, Service: raServicePrincipal},
		RoleARN: roleARN, RoleAccount: roleAccount(roleARN), Policy: trust, Actions: actions,
		SourceIP: c.SourceIP, UserAgent: c.UserAgent, Region: c.Region, Secure: c.HTTP.TLS != nil, Time: c.Time,
		Extra: func(pc *policy.Context) {
			pc.Set("sts:RoleSessionName", sessionName)
			pc.Set("aws:SourceArn", anchor.ARN)
			pc.Set("aws:SourceAccount", anchor.Account)
			keys := make([]string, 0, len(tags))
			for _, tg := range tags {
				pc.Set("aws:PrincipalTag/"+tg.Key, tg.Value)
				pc.Set("aws:RequestTag/"+tg.Key, tg.Value)
				keys = append(keys, tg.Key)
			}
			pc.Set("aws:TagKeys", keys...)
			if sourceIdentity != "" {
				pc.Set("sts:SourceIdentity", sourceIdentity)
			}
		}}
	if err := h.Fed.Trust.AuthorizeTrust(ctx, t); err != nil {
		if awserr.HasCode(err, "AccessDenied") {
			return 0, nil, ra.AccessDenied("Unable to assume role for arn: %s", roleARN)
		}
		return 0, nil, err
	}
	if role == nil {
		return 0, nil, ra.AccessDenied("Unable to assume role for arn: %s", roleARN)
	}
	dur := profile.DurationSeconds
	if in.DurationSeconds != nil {
		if *in.DurationSeconds < 900 || *in.DurationSeconds > 43200 {
			return 0, nil, &ra.APIError{Status: http.StatusBadRequest, Type: "ValidationException", Msg: "durationSeconds must be between 900 and 43200"}
		}
		if *in.DurationSeconds < dur {
			dur = *in.DurationSeconds
		}
	}
	if max := role.MaxSessionDuration; max > 0 && dur > max {
		dur = max
	}
	packed, err := h.Fed.STS.SessionPolicies(ctx, profile.SessionPolicy, profile.SessionPolicy != "", profile.ManagedPolicyArns, tags)
	if err != nil {
		return 0, nil, err
	}
	subject, err := h.Svc.RecordSubject(ctx, anchor.Account, raRegion(c), leaf.Subject.String())
	if err != nil {
		return 0, nil, err
	}
	iss, err := h.Fed.STS.IssueRoleSession(ctx, &sts.RoleSession{Role: role, SessionName: sessionName, Duration: time.Duration(dur) * time.Second,
		SessionPolicy: profile.SessionPolicy, PolicyARNs: profile.ManagedPolicyArns, Tags: tags, SourceIdentity: sourceIdentity,
		SourceARN: anchor.ARN, Extra: map[string]string{"aws:SourceArn": anchor.ARN}})
	if err != nil {
		return 0, nil, err
	}
	set := map[string]any{
		"assumedRoleUser": map[string]string{"arn": iss.AssumedRoleUser.Arn, "assumedRoleId": iss.AssumedRoleUser.AssumedRoleId},
		"credentials": map[string]string{"accessKeyId": iss.Credentials.AccessKeyID, "secretAccessKey": iss.Credentials.SecretAccessKey,
			"sessionToken": iss.Credentials.SessionToken, "expiration": iss.Credentials.Expiration.UTC().Format(time.RFC3339)},
		"packedPolicySize": packed,
		"roleArn":          roleARN,
	}
	if sourceIdentity != "" {
		set["sourceIdentity"] = sourceIdentity
	}
	return http.StatusCreated, map[string]any{"credentialSet": []any{set}, "subjectArn": subject.ARN}, nil
}
