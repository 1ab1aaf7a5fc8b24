package audit

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// plain converts a handler's result (plain structs of strings, numbers,
// bools, slices, pointers and text-marshalling timestamps) into the
// generic form json.Unmarshal would give for json.Marshal's output —
// without the round trip through bytes. Anything else (maps, interfaces,
// json.Marshaler values) falls back to that round trip, so the output is
// always the same as before.
func plain(v any) (any, bool) {
	return plainValue(reflect.ValueOf(v), false)
}

// plainCamel is camel(plain(v), true) in one walk: member names in lower
// camel case, secret members dropped, dates in CloudTrail's form.
func plainCamel(v any) (any, bool) {
	return plainValue(reflect.ValueOf(v), true)
}

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
)

func plainValue(v reflect.Value, cm bool) (any, bool) {
	if !v.IsValid() {
		return nil, true
	}
	t := v.Type()
	if t.Implements(jsonMarshaler) {
		return nil, false
	}
	if t.Implements(textMarshaler) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, true
		}
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return nil, false
		}
		return string(b), true
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, true
		}
		return plainValue(v.Elem(), cm)
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(itoa64(v.Int())), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return json.Number(utoa64(v.Uint())), true
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, true
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, false // []byte: base64 in JSON
		}
		out := make([]any, v.Len())
		for i := range out {
			e, ok := plainValue(v.Index(i), cm)
			if !ok {
				return nil, false
			}
			out[i] = e
		}
		return out, true
	case reflect.Struct:
		fields := structFields(t)
		if fields == nil {
			return nil, false
		}
		out := make(map[string]any, len(fields))
		for i := range fields {
			f := &fields[i]
			if cm && f.secret {
				continue
			}
			fv := v.Field(f.index)
			if f.omitEmpty && fv.IsZero() {
				continue
			}
			e, ok := plainValue(fv, cm)
			if !ok {
				return nil, false
			}
			if !cm {
				out[f.name] = e
				continue
			}
			if s, ok := e.(string); ok && f.date {
				e = trailDate(s)
			}
			out[f.camel] = e
		}
		return out, true
	}
	return nil, false
}

type plainField struct {
	name      string
	index     int
	omitEmpty bool
	// For plainCamel: the name in lower camel case, whether the member
	// is a secret, whether it holds a date (see camel).
	camel  string
	secret bool
	date   bool
}

var fieldCache sync.Map // reflect.Type → []plainField (nil: not plain)

// structFields lists a struct's JSON members as encoding/json names them,
// or nil when the struct needs encoding/json itself (embedded fields,
// "string" options).
func structFields(t reflect.Type) []plainField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]plainField)
	}
	var fields []plainField
	ok := true
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous {
			ok = false
			break
		}
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if strings.Contains(opts, "string") {
			ok = false
			break
		}
		if name == "" {
			name = sf.Name
		}
		cn := lowerFirst(name)
		fields = append(fields, plainField{name: name, index: i, omitEmpty: strings.Contains(opts, "omitempty"),
			camel: cn, secret: isSecret(name), date: strings.HasSuffix(cn, "Date") || cn == "expiration"})
	}
	if !ok {
		fields = nil
	} else if fields == nil {
		fields = []plainField{}
	}
	fieldCache.Store(t, fields)
	return fields
}

func itoa64(n int64) string {
	if n < 0 {
		return "-" + utoa64(uint64(-n))
	}
	return utoa64(uint64(n))
}

func utoa64(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
