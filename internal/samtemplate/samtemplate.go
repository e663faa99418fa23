package samtemplate

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// Template is a template decoded to JSON values, intrinsics in long form.
type Template map[string]any

var loadMu sync.Mutex

// Load turns YAML (or JSON) template text into a Template, converting
// short-form intrinsic tags to their long forms with goformation.
func Load(src []byte) (Template, error) {
	// goformation registers its tag resolvers in a package map on every call.
	loadMu.Lock()
	defer loadMu.Unlock()
	js, err := intrinsics.ProcessYAML(src, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	var t Template
	if err := json.Unmarshal(js, &t); err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	return t, nil
}

// Resources returns the Resources section.
func (t Template) Resources() map[string]map[string]any {
	out := map[string]map[string]any{}
	rs, _ := t["Resources"].(map[string]any)
	for id, r := range rs {
		if m, ok := r.(map[string]any); ok {
			out[id] = m
		}
	}
	return out
}

// OfType returns the logical ids of the resources of type typ, sorted.
func (t Template) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources() {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Props returns a resource's Properties.
func (t Template) Props(id string) map[string]any {
	p, _ := t.Resources()[id]["Properties"].(map[string]any)
	return p
}

// noValue marks a value removed by AWS::NoValue.
type noValue struct{}

// Resolve returns a copy of t with parameters set (defaults, then
// overrides), conditions evaluated, resources whose condition is false
// removed, and every intrinsic function replaced by a value. Parameter
// values that break one of the template's Rules are an error, as
// CloudFormation refuses them.
func (t Template) Resolve(overrides map[string]any) (Template, error) {
	r := &resolver{t: t, params: map[string]any{}, conds: map[string]bool{}}
	ps, _ := t["Parameters"].(map[string]any)
	for name, p := range ps {
		pm, _ := p.(map[string]any)
		v, ok := overrides[name]
		if !ok {
			v, ok = pm["Default"]
		}
		if !ok {
			return nil, fmt.Errorf("parameter %s has no default and no value", name)
		}
		if err := allowed(name, pm, v); err != nil {
			return nil, err
		}
		switch pm["Type"] {
		case "Number":
			f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
			if err != nil {
				return nil, fmt.Errorf("parameter %s: %q is not a number", name, v)
			}
			v = f
		case "CommaDelimitedList", "List<String>", "List<AWS::EC2::Subnet::Id>", "List<AWS::EC2::SecurityGroup::Id>":
			var items []any
			for s := range strings.SplitSeq(fmt.Sprint(v), ",") {
				items = append(items, s)
			}
			v = items
		default:
			v = fmt.Sprint(v)
		}
		r.params[name] = v
	}
	for name := range overrides {
		if _, ok := r.params[name]; !ok {
			return nil, fmt.Errorf("override of unknown parameter %s", name)
		}
	}
	cs, _ := t["Conditions"].(map[string]any)
	for name := range cs {
		if _, err := r.condition(name, nil); err != nil {
			return nil, err
		}
	}
	if err := r.rules(); err != nil {
		return nil, err
	}
	out := Template{}
	for k, v := range t {
		switch k {
		case "Conditions", "Parameters", "Rules":
			out[k] = v
		case "Resources", "Outputs":
			section := map[string]any{}
			for id, res := range v.(map[string]any) {
				m, _ := res.(map[string]any)
				if c, ok := m["Condition"].(string); ok {
					on, err := r.condition(c, nil)
					if err != nil {
						return nil, err
					}
					if !on {
						continue
					}
				}
				rv, err := r.value(res)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", k, id, err)
				}
				section[id] = rv
			}
			out[k] = section
		default:
			out[k] = v
		}
	}
	return out, nil
}

// allowed checks a String or Number parameter's value against its
// AllowedValues and AllowedPattern, as CloudFormation does.
func allowed(name string, p map[string]any, v any) error {
	if t := p["Type"]; t != "String" && t != "Number" {
		return nil
	}
	s := fmt.Sprint(v)
	if av, ok := p["AllowedValues"].([]any); ok && !slices.ContainsFunc(av, func(a any) bool { return fmt.Sprint(a) == s }) {
		return fmt.Errorf("parameter %s: %q is not one of %v", name, s, av)
	}
	if pat, ok := p["AllowedPattern"].(string); ok {
		re, err := regexp.Compile(`^(?:` + pat + `)$`)
		if err != nil {
			return fmt.Errorf("parameter %s: AllowedPattern: %w", name, err)
		}
		if !re.MatchString(s) {
			return fmt.Errorf("parameter %s: %q does not match AllowedPattern %s", name, s, pat)
		}
	}
	return nil
}

type resolver struct {
	t      Template
	params map[string]any
	conds  map[string]bool
}

func (r *resolver) condition(name string, seen []string) (bool, error) {
	if v, ok := r.conds[name]; ok {
		return v, nil
	}
	if slices.Contains(seen, name) {
		return false, fmt.Errorf("condition %s depends on itself", name)
	}
	cs, _ := r.t["Conditions"].(map[string]any)
	def, ok := cs[name]
	if !ok {
		return false, fmt.Errorf("condition %s is not defined", name)
	}
	v, err := r.boolean(def, append(seen, name))
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	r.conds[name] = v
	return v, nil
}

// rules checks the parameter values against the template's Rules, as
// CloudFormation does before it creates or updates a stack: for each rule
// whose RuleCondition holds, every Assert must hold, or the error carries
// the rule's name and AssertDescription.
func (r *resolver) rules() error {
	rs, _ := r.t["Rules"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(rs)) {
		rule, _ := rs[name].(map[string]any)
		if c, ok := rule["RuleCondition"]; ok {
			on, err := r.boolean(c, nil)
			if err != nil {
				return fmt.Errorf("rule %s: %w", name, err)
			}
			if !on {
				continue
			}
		}
		as, _ := rule["Assertions"].([]any)
		if len(as) == 0 {
			return fmt.Errorf("rule %s has no Assertions", name)
		}
		for _, a := range as {
			am, _ := a.(map[string]any)
			ok, err := r.boolean(am["Assert"], nil)
			if err != nil {
				return fmt.Errorf("rule %s: %w", name, err)
			}
			if !ok {
				return fmt.Errorf("rule %s: %v", name, am["AssertDescription"])
			}
		}
	}
	return nil
}

func (r *resolver) boolean(v any, seen []string) (bool, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("%v is not a condition function", v)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			return r.condition(fmt.Sprint(arg), seen)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("intrinsic Fn::Equals takes 2 values")
			}
			a, err := r.value(args[0])
			if err != nil {
				return false, err
			}
			b, err := r.value(args[1])
			if err != nil {
				return false, err
			}
			return fmt.Sprint(a) == fmt.Sprint(b), nil
		case "Fn::Not":
			if len(args) != 1 {
				return false, fmt.Errorf("intrinsic Fn::Not takes 1 condition")
			}
			b, err := r.boolean(args[0], seen)
			return !b, err
		case "Fn::And", "Fn::Or":
			if len(args) < 2 || len(args) > 10 {
				return false, fmt.Errorf("%s takes 2 to 10 conditions", fn)
			}
			acc := fn == "Fn::And"
			for _, a := range args {
				b, err := r.boolean(a, seen)
				if err != nil {
					return false, err
				}
				if fn == "Fn::And" {
					acc = acc && b
				} else {
					acc = acc || b
				}
			}
			return acc, nil
		}
		return false, fmt.Errorf("%s is not a condition function", fn)
	}
	return false, nil
}

// value resolves intrinsics inside v.
func (r *resolver) value(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			rv, err := r.value(e)
			if err != nil {
				return nil, err
			}
			if _, skip := rv.(noValue); !skip {
				out = append(out, rv)
			}
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			rv, err := r.value(v[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, skip := rv.(noValue); !skip {
				out[k] = rv
			}
		}
		return out, nil
	}
	return v, nil
}

func (r *resolver) ref(name string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return "123456789012", nil
	case "AWS::Region":
		return "eu-west-1", nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::StackName":
		return "cogwatch-test", nil
	case "AWS::StackId":
		return "arn:aws:cloudformation:eu-west-1:123456789012:stack/cogwatch-test/1", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue{}, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	if _, ok := r.t.Resources()[name]; ok {
		return "ref-" + name, nil
	}
	return nil, fmt.Errorf("intrinsic Ref %s: no such parameter or resource", name)
}

// listAttributes are the attributes (by resource type) whose value is a
// list of strings rather than a string.
var listAttributes = map[string][]string{
	"AWS::Route53::HostedZone": {"NameServers"},
}

func (r *resolver) getAtt(id, attr string) (any, error) {
	res, ok := r.t.Resources()[id]
	if !ok {
		return nil, fmt.Errorf("intrinsic Fn::GetAtt %s.%s: no such resource", id, attr)
	}
	v := "arn:aws:test:eu-west-1:123456789012:" + id + "/" + attr
	if slices.Contains(listAttributes[fmt.Sprint(res["Type"])], attr) {
		return []any{v}, nil
	}
	return v, nil
}

func (r *resolver) intrinsic(fn string, arg any) (any, error) {
	if fn == "Ref" {
		return r.ref(fmt.Sprint(arg))
	}
	if fn == "Fn::If" {
		args, _ := arg.([]any)
		if len(args) != 3 {
			return nil, fmt.Errorf("intrinsic Fn::If takes a condition and two values")
		}
		on, err := r.condition(fmt.Sprint(args[0]), nil)
		if err != nil {
			return nil, err
		}
		if on {
			return r.value(args[1])
		}
		return r.value(args[2])
	}
	if fn == "Fn::GetAtt" {
		var id, attr string
		switch a := arg.(type) {
		case string:
			id, attr, _ = strings.Cut(a, ".")
		case []any:
			if len(a) == 2 {
				id, attr = fmt.Sprint(a[0]), fmt.Sprint(a[1])
			}
		}
		if id == "" || attr == "" {
			return nil, fmt.Errorf("intrinsic Fn::GetAtt %v: want Resource.Attribute", arg)
		}
		return r.getAtt(id, attr)
	}
	a, err := r.value(arg)
	if err != nil {
		return nil, err
	}
	args, _ := a.([]any)
	switch fn {
	case "Fn::Sub":
		var s string
		vars := map[string]any{}
		switch x := a.(type) {
		case string:
			s = x
		case []any:
			if len(x) != 2 {
				return nil, fmt.Errorf("intrinsic Fn::Sub takes a string or [string, variables]")
			}
			s, _ = x[0].(string)
			vars, _ = x[1].(map[string]any)
		}
		return r.sub(s, vars)
	case "Fn::Join":
		if len(args) != 2 {
			return nil, fmt.Errorf("intrinsic Fn::Join takes [delimiter, list]")
		}
		list, ok := args[1].([]any)
		if !ok {
			return nil, fmt.Errorf("intrinsic Fn::Join: %v is not a list", args[1])
		}
		parts := make([]string, len(list))
		for i, p := range list {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, fmt.Sprint(args[0])), nil
	case "Fn::Select":
		if len(args) != 2 {
			return nil, fmt.Errorf("intrinsic Fn::Select takes [index, list]")
		}
		i, err := strconv.Atoi(fmt.Sprint(args[0]))
		list, _ := args[1].([]any)
		if err != nil || i < 0 || i >= len(list) {
			return nil, fmt.Errorf("intrinsic Fn::Select: index %v out of range", args[0])
		}
		return list[i], nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, fmt.Errorf("intrinsic Fn::Split takes [delimiter, string]")
		}
		var out []any
		for s := range strings.SplitSeq(fmt.Sprint(args[1]), fmt.Sprint(args[0])) {
			out = append(out, s)
		}
		return out, nil
	case "Fn::GetAZs":
		return []any{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, nil
	case "Fn::Base64", "Fn::ImportValue":
		return fmt.Sprint(a), nil
	case "Fn::FindInMap":
		if len(args) != 3 {
			return nil, fmt.Errorf("intrinsic Fn::FindInMap takes 3 keys")
		}
		ms, _ := r.t["Mappings"].(map[string]any)
		m1, _ := ms[fmt.Sprint(args[0])].(map[string]any)
		m2, _ := m1[fmt.Sprint(args[1])].(map[string]any)
		v, ok := m2[fmt.Sprint(args[2])]
		if !ok {
			return nil, fmt.Errorf("intrinsic Fn::FindInMap %v: not found", args)
		}
		return v, nil
	}
	return nil, fmt.Errorf("%s: unsupported intrinsic function", fn)
}

func (r *resolver) sub(s string, vars map[string]any) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("intrinsic Fn::Sub %q: unclosed ${", s)
		}
		name := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v = x
		} else if id, attr, ok := strings.Cut(name, "."); ok && !strings.Contains(name, "::") {
			v, err = r.getAtt(id, attr)
		} else {
			v, err = r.ref(name)
		}
		if err != nil {
			return "", fmt.Errorf("intrinsic Fn::Sub: %w", err)
		}
		b.WriteString(fmt.Sprint(v))
	}
}

// placeholderRE matches the values Resolve leaves for a Ref to a resource
// ("ref-Name") and for its attributes (see getAtt).
var placeholderRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9])ref-([A-Za-z0-9]+)|arn:aws:test:eu-west-1:123456789012:([A-Za-z0-9]+)/`)

// Placeholders returns the logical ids of the resources that the resolved
// value v references (Ref, Fn::GetAtt, Fn::Sub), sorted, once each.
func Placeholders(v any) []string {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			for _, m := range placeholderRE.FindAllStringSubmatch(v, -1) {
				seen[m[1]+m[2]] = true
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return slices.Sorted(maps.Keys(seen))
}

// DependsOn returns what resource id of a resolved template waits for, as
// CloudFormation orders it: the resources its DependsOn names and those its
// Properties and Metadata reference. Sorted, once each.
func (t Template) DependsOn(id string) []string {
	r := t.Resources()[id]
	deps := map[string]bool{}
	for _, d := range Placeholders([]any{r["Properties"], r["Metadata"]}) {
		deps[d] = true
	}
	switch d := r["DependsOn"].(type) {
	case string:
		deps[d] = true
	case []any:
		for _, e := range d {
			deps[fmt.Sprint(e)] = true
		}
	}
	delete(deps, id)
	return slices.Sorted(maps.Keys(deps))
}

// WaitsFor reports whether resource from is created after resource to in
// a resolved template, directly or through other resources.
func (t Template) WaitsFor(from, to string) bool {
	seen := map[string]bool{}
	var visit func(id string) bool
	visit = func(id string) bool {
		if seen[id] {
			return false
		}
		seen[id] = true
		for _, d := range t.DependsOn(id) {
			if d == to || visit(d) {
				return true
			}
		}
		return false
	}
	return visit(from)
}
