package customresources

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
)

// ServiceKeys are the properties CloudFormation itself sets on every custom
// resource; DecodeProperties skips them.
var ServiceKeys = []string{"ServiceToken", "ServiceTimeout"}

// PropertyError is a property that could not be decoded.
type PropertyError struct {
	Path string // dotted property path, e.g. CustomDomainConfig.CertificateArn
	Err  error
}

func (e *PropertyError) Error() string { return "property " + e.Path + ": " + e.Err.Error() }

func (e *PropertyError) Unwrap() error { return e.Err }

// Properties decodes the event's ResourceProperties into T (see
// DecodeProperties) and, on Update, its OldResourceProperties leniently (see
// DecodeOldProperties): the old ones may be what the resource refused.
func Properties[T any](ev cfn.Event) (props, old T, err error) {
	if err = DecodeProperties(ev.ResourceProperties, &props); err != nil {
		return props, old, err
	}
	if ev.RequestType == cfn.RequestUpdate {
		if err = DecodeOldProperties(ev.OldResourceProperties, &old); err != nil {
			return props, old, fmt.Errorf("old properties: %w", err)
		}
	}
	return props, old, nil
}

// DecodeProperties decodes CloudFormation resource properties into dst, a
// pointer to a struct whose fields carry json tags with the property names.
//
// CloudFormation passes every scalar as a string, so strings convert to the
// field's type: "30" to an int, "true" to a bool. JSON numbers and booleans,
// as sent by a hand-made event, are accepted too. A property that is not a
// field of dst is an error (a typo must not be silently ignored), except
// ServiceKeys. Errors are *PropertyError naming the property.
func DecodeProperties(props map[string]any, dst any) error {
	return decode(props, dst, false)
}

// DecodeOldProperties decodes an Update's OldResourceProperties into dst as
// DecodeProperties does, except that it ignores what does not decode: an
// unknown property, and a value of the wrong type (its field stays zero; a
// list or object with one bad element is dropped whole). It fails only when
// dst is not a pointer to a struct.
//
// When CloudFormation rolls back an update the resource refused, it sends
// the previous properties as ResourceProperties and the refused ones as
// OldResourceProperties. Failing on those would leave the stack in
// UPDATE_ROLLBACK_FAILED; a resource acts on the new properties and uses the
// old ones only as hints.
func DecodeOldProperties(props map[string]any, dst any) error {
	return decode(props, dst, true)
}

func decode(props map[string]any, dst any, lenient bool) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode properties: want a pointer to a struct, got %T", dst)
	}
	m := make(map[string]any, len(props))
	for k, val := range props {
		if !slices.Contains(ServiceKeys, k) {
			m[k] = val
		}
	}
	d := decoder{lenient: lenient}
	return d.decodeStruct("", m, v.Elem())
}

// decoder decodes property values; a lenient one drops what does not decode
// instead of failing.
type decoder struct{ lenient bool }

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func fieldName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name, true
	}
	return f.Name, true
}

func (d decoder) decodeStruct(path string, m map[string]any, dst reflect.Value) error {
	t := dst.Type()
	known := make(map[string]bool, t.NumField())
	var errs []error
	for i := range t.NumField() {
		name, ok := fieldName(t.Field(i))
		if !ok {
			continue
		}
		known[name] = true
		val, present := m[name]
		if !present {
			continue
		}
		if err := d.decodeValue(join(path, name), val, dst.Field(i)); err != nil {
			if d.lenient {
				dst.Field(i).SetZero()
				continue
			}
			errs = append(errs, err)
		}
	}
	if d.lenient {
		return nil // unknown properties ignored
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		errs = append(errs, &PropertyError{Path: join(path, k), Err: errors.New("unknown property")})
	}
	return errors.Join(errs...)
}

// describe names a JSON value's kind for error messages without echoing it
// whole (properties may be long).
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			return strconv.Quote(x[:40] + "…")
		}
		return strconv.Quote(x)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number:
		return x.String()
	}
	return fmt.Sprintf("a %T", v)
}

func (d decoder) decodeValue(path string, v any, dst reflect.Value) error {
	fail := func(format string, args ...any) error {
		return &PropertyError{Path: path, Err: fmt.Errorf(format, args...)}
	}
	if v == nil {
		dst.SetZero()
		return nil
	}
	switch dst.Kind() {
	case reflect.Pointer:
		p := reflect.New(dst.Type().Elem())
		if err := d.decodeValue(path, v, p.Elem()); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	case reflect.Interface:
		rv := reflect.ValueOf(v)
		if !rv.Type().AssignableTo(dst.Type()) {
			return fail("%s is not assignable", describe(v))
		}
		dst.Set(rv)
		return nil
	case reflect.String:
		switch x := v.(type) {
		case string:
			dst.SetString(x)
		case float64, bool, json.Number:
			dst.SetString(describe(x))
		default:
			return fail("want a string, got %s", describe(v))
		}
		return nil
	case reflect.Bool:
		switch x := v.(type) {
		case bool:
			dst.SetBool(x)
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return fail("%s is not true or false", describe(v))
			}
			dst.SetBool(b)
		default:
			return fail("want true or false, got %s", describe(v))
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var n int64
		switch x := v.(type) {
		case string:
			i, err := strconv.ParseInt(strings.TrimSpace(x), 10, dst.Type().Bits())
			if err != nil {
				return fail("%s is not an integer", describe(v))
			}
			n = i
		case float64:
			if x != math.Trunc(x) || x < math.MinInt64 || x >= math.MaxInt64 {
				return fail("%s is not an integer", describe(v))
			}
			n = int64(x)
		default:
			return fail("want an integer, got %s", describe(v))
		}
		if dst.OverflowInt(n) {
			return fail("%d is out of range", n)
		}
		dst.SetInt(n)
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := v.(type) {
		case string:
			p, err := strconv.ParseFloat(strings.TrimSpace(x), dst.Type().Bits())
			if err != nil || math.IsNaN(p) || math.IsInf(p, 0) {
				return fail("%s is not a number", describe(v))
			}
			f = p
		case float64:
			f = x
		default:
			return fail("want a number, got %s", describe(v))
		}
		dst.SetFloat(f)
		return nil
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return fail("want a list, got %s", describe(v))
		}
		s := reflect.MakeSlice(dst.Type(), len(list), len(list))
		var errs []error
		for i, item := range list {
			if err := d.decodeValue(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i)); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		dst.Set(s)
		return nil
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok || dst.Type().Key().Kind() != reflect.String {
			return fail("want an object, got %s", describe(v))
		}
		mv := reflect.MakeMapWithSize(dst.Type(), len(obj))
		var errs []error
		for k, item := range obj {
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := d.decodeValue(join(path, k), item, ev); err != nil {
				errs = append(errs, err)
				continue
			}
			mv.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		dst.Set(mv)
		return nil
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return fail("want an object, got %s", describe(v))
		}
		return d.decodeStruct(path, obj, dst)
	}
	return fail("unsupported field type %s", dst.Type())
}
