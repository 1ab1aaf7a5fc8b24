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

// xmlNewVirtualMFADevice is CreateVirtualMFADevice's answer.
type xmlNewVirtualMFADevice struct {
	SerialNumber     string
	Base32StringSeed string
	QRCodePNG        string
	Tags             []xmlTag `xml:"Tags>member,omitempty" json:",omitempty"`
}

// mfaUserName is the UserName an MFA device's answers show: the account
// id for the root user's device.
func mfaUserName(c *Call, d *iam.MFADevice) string {
	if d.Root {
		return c.Account()
	}
	return d.UserName
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
				d, boot, err := svc.CreateVirtualMFADevice(ctx, c.Account(), c.str("VirtualMFADeviceName"), c.str("Path"), tags)
				if err != nil {
					return nil, err
				}
				// Both seeds are blobs: base64 on the wire.
				return &struct{ VirtualMFADevice xmlNewVirtualMFADevice }{xmlNewVirtualMFADevice{
					SerialNumber:     d.Serial,
					Base32StringSeed: base64.StdEncoding.EncodeToString([]byte(boot.Base32StringSeed)),
					QRCodePNG:        base64.StdEncoding.EncodeToString(boot.QRCodePNG),
					Tags:             toXMLTags(d.Tags)}}, nil
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
					out.MFADevices = append(out.MFADevices, xmlMFADevice{UserName: mfaUserName(c, d), SerialNumber: d.Serial, EnableDate: TS(d.EnableDate)})
				}
				return out, nil
			}},
		{Service: "iam", Name: "GetMFADevice", Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("SerialNumber"); err != nil {
					return nil, err
				}
				owner, err := targetUser(c)
				if err != nil {
					return nil, err
				}
				d, err := svc.GetMFADevice(ctx, c.Account(), owner, c.str("SerialNumber"))
				if err != nil {
					return nil, err
				}
				return &xmlMFADevice{UserName: mfaUserName(c, d), SerialNumber: d.Serial, EnableDate: TS(d.EnableDate)}, nil
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
