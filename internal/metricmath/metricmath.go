// Package metricmath evaluates the arithmetic subset of CloudWatch metric math
// (numbers, metric ids, + - * /, parentheses, and FILL(id, number)) for one
// period, as CloudWatch would: the local dashboard page draws expression
// widgets with it, and the dashboards' tests evaluate alarm expressions. It
// is not a metric-math engine: other functions, such as SERVICE_QUOTA or
// PERIOD, are errors. See
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
package metricmath

import (
	"fmt"
	"strconv"
	"strings"
)

// Eval evaluates the arithmetic subset of CloudWatch metric math that
// the local page needs (numbers, ids, + - * /, parentheses) for one period.
// A function call such as SERVICE_QUOTA is an error: that widget has no
// local equivalent. Division by zero yields ok=false (no point), as in
// CloudWatch.
func Eval(expr string, vals map[string]float64) (v float64, ok bool, err error) {
	p := &exprParser{s: expr, vals: vals, ok: true}
	v = p.sum()
	p.space()
	if p.err == nil && p.i < len(p.s) {
		p.err = fmt.Errorf("expression %q: unexpected %q", expr, p.s[p.i:])
	}
	return v, p.ok, p.err
}

type exprParser struct {
	s    string
	i    int
	vals map[string]float64
	ok   bool
	err  error
}

func (p *exprParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *exprParser) sum() float64 {
	v := p.product()
	for p.err == nil {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '+' && p.s[p.i] != '-') {
			return v
		}
		op := p.s[p.i]
		p.i++
		r := p.product()
		if op == '+' {
			v += r
		} else {
			v -= r
		}
	}
	return v
}

func (p *exprParser) product() float64 {
	v := p.unary()
	for p.err == nil {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '*' && p.s[p.i] != '/') {
			return v
		}
		op := p.s[p.i]
		p.i++
		r := p.unary()
		if op == '*' {
			v *= r
		} else if r == 0 {
			p.ok = false
		} else {
			v /= r
		}
	}
	return v
}

func (p *exprParser) unary() float64 {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
		return -p.unary()
	}
	return p.atom()
}

func (p *exprParser) atom() float64 {
	p.space()
	if p.i >= len(p.s) {
		p.err = fmt.Errorf("expression %q: unexpected end", p.s)
		return 0
	}
	c := p.s[p.i]
	switch {
	case c == '(':
		p.i++
		v := p.sum()
		p.space()
		if p.err == nil && (p.i >= len(p.s) || p.s[p.i] != ')') {
			p.err = fmt.Errorf("expression %q: missing )", p.s)
		}
		p.i++
		return v
	case c >= '0' && c <= '9' || c == '.':
		j := p.i
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.') {
			j++
		}
		v, err := strconv.ParseFloat(p.s[p.i:j], 64)
		if err != nil {
			p.err = fmt.Errorf("expression %q: %w", p.s, err)
		}
		p.i = j
		return v
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		j := p.i
		for j < len(p.s) && (p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '_') {
			j++
		}
		id := p.s[p.i:j]
		p.i = j
		if id == "FILL" && strings.HasPrefix(p.s[p.i:], "(") {
			return p.fill()
		}
		if strings.HasPrefix(p.s[p.i:], "(") {
			p.err = fmt.Errorf("expression %q: function %s has no local equivalent", p.s, id)
			return 0
		}
		v, ok := p.vals[id]
		if !ok {
			p.ok = false
		}
		return v
	}
	p.err = fmt.Errorf("expression %q: unexpected %q", p.s, c)
	return 0
}

// fill evaluates the arguments of FILL(id, number), the opening parenthesis
// next: id's value, or number when id has no datapoint in the period.
func (p *exprParser) fill() float64 {
	p.i++ // (
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '_') {
		j++
	}
	id := p.s[p.i:j]
	p.i = j
	p.space()
	if id == "" || p.i >= len(p.s) || p.s[p.i] != ',' {
		p.err = fmt.Errorf("expression %q: FILL takes an id and a number", p.s)
		return 0
	}
	p.i++
	ok := p.ok
	fallback := p.sum()
	p.ok = ok // the fallback is a constant: it cannot miss
	p.space()
	if p.err == nil && (p.i >= len(p.s) || p.s[p.i] != ')') {
		p.err = fmt.Errorf("expression %q: missing )", p.s)
	}
	p.i++
	if v, ok := p.vals[id]; ok {
		return v
	}
	return fallback
}
