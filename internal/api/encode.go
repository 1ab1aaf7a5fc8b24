package api

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
)

// Namespaces of the query-protocol services.
const (
	nsIAM = "https://iam.amazonaws.com/doc/2010-05-08/"
	nsSTS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// Timestamp renders as AWS's ISO 8601 UTC form, 2026-08-07T13:34:41Z.
type Timestamp time.Time

func (t Timestamp) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05Z")), nil
}

// TS converts a time for a response; the zero time stays zero (and a
// pointer field holding nil is omitted).
func TS(t time.Time) Timestamp { return Timestamp(t) }

// TSPtr is TS for optional members: nil for the zero time.
func TSPtr(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	ts := Timestamp(t)
	return &ts
}

func wantsJSON(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return a == "application/json" || bytes.Contains([]byte(a), []byte("application/json"))
}

type responseMetadata struct {
	RequestId string
}

// writeResult encodes a successful query-protocol answer.
func writeResult(w http.ResponseWriter, r *http.Request, ns, op, requestID string, result any) {
	h := w.Header()
	h.Set("x-amzn-RequestId", requestID)
	if wantsJSON(r) {
		inner := map[string]any{"ResponseMetadata": responseMetadata{RequestId: requestID}}
		if result != nil {
			inner[op+"Result"] = result
		}
		body, err := json.Marshal(map[string]any{op + "Response": inner})
		if err != nil {
			writeError(w, r, ns, requestID, awserr.InternalFailure())
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	x := xmlWriters.Get().(*xmlWriter)
	buf := &x.buf
	buf.Reset()
	buf.WriteString(`<` + op + `Response xmlns="` + ns + `">` + "\n")
	if result != nil {
		if err := x.enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
			// The encoder may hold half an element: it is not reused.
			writeError(w, r, ns, requestID, awserr.InternalFailure())
			return
		}
		x.enc.Flush()
		buf.WriteByte('\n')
	}
	buf.WriteString("<ResponseMetadata>\n<RequestId>" + requestID + "</RequestId>\n</ResponseMetadata>\n</" + op + "Response>\n")
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	if buf.Cap() <= maxPooledXML {
		xmlWriters.Put(x)
	}
}

// xmlWriter is a reusable answer buffer and the XML encoder writing into
// it (an xml.Encoder allocates a 4 KiB bufio.Writer when it is made, more
// than most answers hold).
type xmlWriter struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

// maxPooledXML bounds the buffers kept for reuse: a large answer (a big
// GetAccountAuthorizationDetails) is not kept alive by the pool.
const maxPooledXML = 64 << 10

var xmlWriters = sync.Pool{New: func() any {
	x := &xmlWriter{}
	x.enc = xml.NewEncoder(&x.buf)
	return x
}}

type xmlErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     xmlError `xml:"Error"`
	RequestId string   `xml:"RequestId"`
}

type xmlError struct {
	Type    string `xml:"Type" json:"Type"`
	Code    string `xml:"Code" json:"Code"`
	Message string `xml:"Message" json:"Message"`
}

// writeError encodes the query-protocol error envelope.
func writeError(w http.ResponseWriter, r *http.Request, ns, requestID string, e *awserr.Error) {
	h := w.Header()
	h.Set("x-amzn-RequestId", requestID)
	body := xmlError{Type: e.Fault(), Code: e.Code, Message: e.Message}
	var out []byte
	if r != nil && wantsJSON(r) {
		out, _ = json.Marshal(struct {
			Error     xmlError
			RequestId string
		}{body, requestID})
		h.Set("Content-Type", "application/json")
	} else {
		x, _ := xml.Marshal(xmlErrorResponse{Xmlns: ns, Error: body, RequestId: requestID})
		out = append([]byte(xml.Header[:len(xml.Header)-1]+"\n"), x...)
		h.Set("Content-Type", "text/xml")
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(e.Status)
	w.Write(out)
}
