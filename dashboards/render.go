package dashboards

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// Files renders every output, keyed by its path relative to the output
// directory: the CloudWatch dashboard bodies, the alarms as CloudFormation
// resources, the Grafana dashboard and the Prometheus rules. Placeholders
// that p does not fill stay as ${Name}.
func Files(p Params) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, d := range Dashboards() {
		body, err := d.Body(p)
		if err != nil {
			return nil, err
		}
		out["cloudwatch/"+d.Name+".json"] = body
	}
	res, err := TemplateResources()
	if err != nil {
		return nil, err
	}
	out["cloudwatch/template-resources.yaml"] = res
	if out["grafana/cogwatch.json"], err = Grafana(); err != nil {
		return nil, err
	}
	if out["prometheus/cogwatch.rules.yml"], err = RulesFile(); err != nil {
		return nil, err
	}
	return out, nil
}

// Render writes Files(p) under dir and returns the paths written, sorted.
func Render(dir string, p Params) ([]string, error) {
	files, err := Files(p)
	if err != nil {
		return nil, err
	}
	var written []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return written, err // it names the path; the command names itself
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return written, err // it names the path; the command names itself
		}
		written = append(written, path)
	}
	return written, nil
}

// UpdateTemplate rewrites the generated part of the SAM template at path
// with the current dashboards and alarms. It reports whether it changed.
func UpdateTemplate(path string) (bool, error) {
	old, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("update template: %w", err)
	}
	gen, err := TemplateResources()
	if err != nil {
		return false, err
	}
	updated, err := ReplaceGenerated(old, gen)
	if err != nil {
		return false, fmt.Errorf("update template %s: %w", path, err)
	}
	if string(updated) == string(old) {
		return false, nil
	}
	if err := os.WriteFile(path, updated, 0o644); err != nil {
		return false, fmt.Errorf("update template: %w", err)
	}
	return true, nil
}
