package api

import (
	"context"
	"encoding/base64"

	"github.com/hatrack/hatrack/internal/iam"
)

// Virtual MFA devices on the wire.

type xmlMFADevice struct {
	UserName     string
	SerialNumber string
	EnableDate   Timestamp
}

type xmlVirtualMFADevice struct {
	SerialNumber string
	User         *xmlUser   `xml:",omitempty" json:",omitempty"`
	EnableDate   *Timestamp `xml:",omitempty" json:",omitempty"`
	Tags         []xmlTag   `xml:"Tags>member,omitempty" json:",omitempty"`
}

func mfaARN(c *Call, name, path string) string {
	return "arn:aws:iam::" + c.Account() + ":mfa" + orSlash(path) + name
}

func iamMFAOps(svc *iam.Service) []*Op {
	serialRes := func(c *Call) string {
		if s := c.str("SerialNumber"); s != "" {
			return s
		}
		return "*"
	}
	return []*Op{
		{Service: "iam", Name: "CreateVirtualMFADevice", Mutates: true,
			Resource: func(c *Call) string { return mfaARN(c, c.str("VirtualMFADeviceName"), c.str("Path")) },
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				d, seed, err := svc.CreateVirtualMFADevice(ctx, c.Account(), c.str("VirtualMFADeviceName"), c.str("Path"), tags)
				if err != nil {
					return nil, err
				}
				return &struct {
					VirtualMFADevice struct {
						SerialNumber     string
						Base32StringSeed string
						Tags             []xmlTag `xml:"Tags>member,omitempty" json:",omitempty"`
					}
				}{struct {
					SerialNumber     string
					Base32StringSeed string
					Tags             []xmlTag `xml:"Tags>member,omitempty" json:",omitempty"`
				}{d.Serial, base64.StdEncoding.EncodeToString([]byte(seed)), toXMLTags(d.Tags)}}, nil
			}},
		{Service: "iam", Name: "EnableMFADevice", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("UserName"); err != nil {
					return nil, err
				}
				return nil, svc.EnableMFADevice(ctx, c.Account(), c.str("UserName"), c.str("SerialNumber"), c.str("AuthenticationCode1"), c.str("AuthenticationCode2"))
			}},
		{Service: "iam", Name: "ResyncMFADevice", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("UserName"); err != nil {
					return nil, err
				}
				return nil, svc.ResyncMFADevice(ctx, c.Account(), c.str("UserName"), c.str("SerialNumber"), c.str("AuthenticationCode1"), c.str("AuthenticationCode2"))
			}},
		{Service: "iam", Name: "DeactivateMFADevice", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				owner, err := targetUser(c)
				if err != nil {
					return nil, err
				}
				return nil, svc.DeactivateMFADevice(ctx, c.Account(), owner, c.str("SerialNumber"))
			}},
		{Service: "iam", Name: "DeleteVirtualMFADevice", Mutates: true, Resource: serialRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.DeleteVirtualMFADevice(ctx, c.Account(), c.str("SerialNumber"))
			}},
		{Service: "iam", Name: "ListMFADevices", Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				owner, err := targetUser(c)
				if err != nil {
					return nil, err
				}
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				devs, next, err := svc.ListMFADevices(ctx, c.Account(), owner, p)
				if err != nil {
					return nil, err
				}
				out := &struct {
					MFADevices  []xmlMFADevice `xml:"MFADevices>member"`
					IsTruncated bool
					Marker      string `xml:",omitempty" json:",omitempty"`
				}{MFADevices: []xmlMFADevice{}, IsTruncated: next != "", Marker: next}
				for _, d := range devs {
					name := d.UserName
					if d.Root {
						name = c.Account()
					}
					out.MFADevices = append(out.MFADevices, xmlMFADevice{UserName: name, SerialNumber: d.Serial, EnableDate: TS(d.EnableDate)})
				}
				return out, nil
			}},
		{Service: "iam", Name: "ListVirtualMFADevices",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				devs, next, err := svc.ListVirtualMFADevices(ctx, c.Account(), c.str("AssignmentStatus"), p)
				if err != nil {
					return nil, err
				}
				out := &struct {
					VirtualMFADevices []xmlVirtualMFADevice `xml:"VirtualMFADevices>member"`
					IsTruncated       bool
					Marker            string `xml:",omitempty" json:",omitempty"`
				}{VirtualMFADevices: []xmlVirtualMFADevice{}, IsTruncated: next != "", Marker: next}
				for _, d := range devs {
					x := xmlVirtualMFADevice{SerialNumber: d.Serial, EnableDate: TSPtr(d.EnableDate), Tags: toXMLTags(d.Tags)}
					if d.UserID != "" {
						if u, err := svc.UserByID(ctx, d.UserID); err == nil {
							xu := toXMLUser(u, false)
							x.User = &xu
						}
					} else if d.Root {
						x.User = &xmlUser{UserId: c.Account(), Arn: "arn:aws:iam::" + c.Account() + ":root"}
					}
					out.VirtualMFADevices = append(out.VirtualMFADevices, x)
				}
				return out, nil
			}},
	}
}
