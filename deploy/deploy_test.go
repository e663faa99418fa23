package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/internal/ociimage"
	"github.com/cogwatch/cogwatch/internal/testutil"
)

// stateDir is where the image, the Deployment and the systemd unit give
// the exporter its one writable directory.
const stateDir = "/var/lib/cogwatch-exporter"

// strictDecode decodes a YAML Kubernetes object into obj as the API
// server's strict field validation does: duplicate keys and fields obj's
// type does not have are errors, and names match case-sensitively (which
// encoding/json, and so sigs.k8s.io/yaml's UnmarshalStrict, do not: they
// would take readOnlyRootFileSystem for readOnlyRootFilesystem).
func strictDecode(raw []byte, obj any) error {
	j, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(j, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// decode reads the one Kubernetes object in path into obj, strictly.
func decode(t *testing.T, path string, obj any, apiVersion, kind string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotRegexp(t, `(?m)^---`, string(raw), "%s: one object per file", path)
	require.NoError(t, strictDecode(raw, obj), path)
	var tm struct{ APIVersion, Kind string }
	require.NoError(t, yaml.Unmarshal(raw, &tm))
	require.Equal(t, apiVersion+" "+kind, tm.APIVersion+" "+tm.Kind, path)
}

type manifests struct {
	deployment     appsv1.Deployment
	service        corev1.Service
	configMap      corev1.ConfigMap
	serviceMonitor monitoringv1.ServiceMonitor
}

func load(t *testing.T) manifests {
	t.Helper()
	var m manifests
	decode(t, "kubernetes/deployment.yaml", &m.deployment, "apps/v1", "Deployment")
	decode(t, "kubernetes/service.yaml", &m.service, "v1", "Service")
	decode(t, "kubernetes/configmap.yaml", &m.configMap, "v1", "ConfigMap")
	decode(t, "kubernetes/servicemonitor.yaml", &m.serviceMonitor, "monitoring.coreos.com/v1", "ServiceMonitor")
	return m
}

// container returns the Deployment's one container.
func (m manifests) container(t *testing.T) corev1.Container {
	t.Helper()
	require.Len(t, m.deployment.Spec.Template.Spec.Containers, 1)
	return m.deployment.Spec.Template.Spec.Containers[0]
}

// port returns the container port a probe or a Service names.
func port(t *testing.T, c corev1.Container, p intstr.IntOrString) corev1.ContainerPort {
	t.Helper()
	i := slices.IndexFunc(c.Ports, func(cp corev1.ContainerPort) bool {
		return (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal)
	})
	require.GreaterOrEqual(t, i, 0, "no container port %s", p.String())
	return c.Ports[i]
}

func TestKubernetesStrictDecodeRefuses(t *testing.T) {
	t.Parallel()
	// The decoding below is only worth something if it refuses what the API server would.
	raw, err := os.ReadFile("kubernetes/deployment.yaml")
	require.NoError(t, err)
	tests := []struct{ name, old, new, want string }{
		{name: "unknown field", old: "readOnlyRootFilesystem: true", new: "readOnlyRootFilesystem: true\n            readOnlyFilesystem: true",
			want: `unknown field "spec.template.spec.containers[0].securityContext.readOnlyFilesystem"`},
		{name: "field in another case", old: "readOnlyRootFilesystem: true", new: "readOnlyRootFileSystem: true",
			want: `unknown field "spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem"`},
		{name: "duplicate key", old: "runAsNonRoot: true", new: "runAsNonRoot: true\n        runAsNonRoot: false",
			want: `"runAsNonRoot" already set in map`},
		{name: "wrong type", old: "runAsUser: 65532", new: "runAsUser: nonroot", want: "cannot unmarshal string into Go struct field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bad := bytes.Replace(raw, []byte(tc.old), []byte(tc.new), 1)
			require.NotEqual(t, raw, bad)
			var d appsv1.Deployment
			require.ErrorContains(t, strictDecode(bad, &d), tc.want)
		})
	}
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	m := load(t)
	d, c := m.deployment, m.container(t)
	pod := d.Spec.Template

	t.Run("labels and selectors", func(t *testing.T) {
		for _, meta := range []map[string]string{d.Labels, pod.Labels, m.service.Labels, m.configMap.Labels, m.serviceMonitor.Labels} {
			require.Empty(t, validation.ValidateLabels(meta, nil), "%v", meta)
			require.Equal(t, "cogwatch-exporter", meta["app.kubernetes.io/name"])
		}
		sel := d.Spec.Selector.MatchLabels
		require.NotEmpty(t, sel)
		for k, v := range sel {
			require.Equal(t, v, pod.Labels[k], "the Deployment selects its own pods")
		}
		require.NotEmpty(t, m.service.Spec.Selector)
		for k, v := range m.service.Spec.Selector {
			require.Equal(t, v, pod.Labels[k], "the Service selects the Deployment's pods")
		}
		require.NotEmpty(t, m.serviceMonitor.Spec.Selector.MatchLabels)
		for k, v := range m.serviceMonitor.Spec.Selector.MatchLabels {
			require.Equal(t, v, m.service.Labels[k], "the ServiceMonitor selects the Service")
		}
	})

	t.Run("ports are the exporter's", func(t *testing.T) {
		want := map[string]string{"metrics": exporter.DefaultWebListenAddress, "sns": exporter.DefaultSNSListenAddress}
		require.Len(t, c.Ports, len(want))
		for _, p := range c.Ports {
			require.Equal(t, want[p.Name], fmt.Sprintf(":%d", p.ContainerPort), p.Name)
			require.Equal(t, corev1.ProtocolTCP, p.Protocol)
		}
		require.Len(t, m.service.Spec.Ports, len(want))
		for _, sp := range m.service.Spec.Ports {
			require.Equal(t, sp.Name, port(t, c, sp.TargetPort).Name, "Service port %s targets the container port of its name", sp.Name)
		}
		require.Len(t, m.serviceMonitor.Spec.Endpoints, 1)
		ep := m.serviceMonitor.Spec.Endpoints[0]
		require.True(t, slices.ContainsFunc(m.service.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == ep.Port }), "the ServiceMonitor scrapes a Service port")
		require.Equal(t, "metrics", ep.Port)
		require.Equal(t, "/metrics", ep.Path)
		require.NotNil(t, ep.Scheme)
		require.Contains(t, []string{"http", "https"}, strings.ToLower(string(*ep.Scheme)))
	})

	t.Run("probes", func(t *testing.T) {
		require.NotNil(t, c.LivenessProbe)
		require.NotNil(t, c.ReadinessProbe)
		require.Equal(t, "/-/healthy", c.LivenessProbe.HTTPGet.Path)
		require.Equal(t, "/-/ready", c.ReadinessProbe.HTTPGet.Path)
		port(t, c, c.LivenessProbe.HTTPGet.Port)
		port(t, c, c.ReadinessProbe.HTTPGet.Port)
	})

	t.Run("runs as the image's non-root user, read-only, without capabilities", func(t *testing.T) {
		ps := pod.Spec.SecurityContext
		require.NotNil(t, ps)
		require.Equal(t, new(true), ps.RunAsNonRoot)
		require.Equal(t, new(int64(ociimage.UID)), ps.RunAsUser)
		require.Equal(t, new(int64(ociimage.GID)), ps.RunAsGroup)
		require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, ps.SeccompProfile.Type)
		cs := c.SecurityContext
		require.NotNil(t, cs)
		require.Equal(t, new(true), cs.ReadOnlyRootFilesystem)
		require.Equal(t, new(false), cs.AllowPrivilegeEscalation)
		require.Equal(t, []corev1.Capability{"ALL"}, cs.Capabilities.Drop)
		require.Empty(t, cs.Capabilities.Add)
		require.Nil(t, cs.RunAsUser, "the pod's user, not another")
		require.Equal(t, new(false), pod.Spec.AutomountServiceAccountToken, "the exporter never calls the API server")
		require.NotNil(t, pod.Spec.TerminationGracePeriodSeconds)
		require.Greater(t, time.Duration(*pod.Spec.TerminationGracePeriodSeconds)*time.Second, exporter.DefaultShutdownTimeout)
	})

	t.Run("volumes", func(t *testing.T) {
		volumes := map[string]corev1.Volume{}
		for _, v := range pod.Spec.Volumes {
			volumes[v.Name] = v
		}
		mounts := map[string]corev1.VolumeMount{}
		for _, vm := range c.VolumeMounts {
			_, ok := volumes[vm.Name]
			require.True(t, ok, "mount %s has a volume", vm.Name)
			mounts[vm.MountPath] = vm
		}
		require.Len(t, mounts, len(volumes), "every volume is mounted")
		state, ok := mounts[stateDir]
		require.True(t, ok, "a writable volume where the image keeps its state directory")
		require.False(t, state.ReadOnly)
		require.NotNil(t, volumes[state.Name].EmptyDir)

		webConfig := argValue(t, c.Args, "--web.config.file")
		vm, ok := mounts[filepath.Dir(webConfig)]
		require.True(t, ok, "--web.config.file %s is in a mounted volume", webConfig)
		require.True(t, vm.ReadOnly)
		cm := volumes[vm.Name].ConfigMap
		require.NotNil(t, cm)
		require.Equal(t, m.configMap.Name, cm.Name)
		require.Contains(t, m.configMap.Data, filepath.Base(webConfig))
	})

	t.Run("web config", func(t *testing.T) {
		require.Len(t, m.configMap.Data, 1)
		for key, body := range m.configMap.Data {
			path := filepath.Join(t.TempDir(), key)
			require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
			require.NoError(t, web.Validate(path), "exporter-toolkit reads %s", key)
		}
	})
}

func TestKubernetesWebConfigValidationRefusesUnknownKeys(t *testing.T) {
	t.Parallel()
	// web.Validate above is only worth something if it refuses a misspelt key.
	path := filepath.Join(t.TempDir(), "web-config.yml")
	require.NoError(t, os.WriteFile(path, []byte("http_server_config:\n  header:\n    X-Frame-Options: deny\n"), 0o644))
	require.Error(t, web.Validate(path))
}

// argValue returns the value of flag in args (--flag=value).
func argValue(t *testing.T, args []string, flag string) string {
	t.Helper()
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s in %q", flag, args)
	return ""
}

// unit is a systemd unit file: section → key → values, in order.
type unit map[string]map[string][]string

// parseUnit reads a unit file as systemd.syntax(7) describes: sections,
// Key=Value lines, # and ; comments, a trailing backslash joining lines.
func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	u, section := unit{}, ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	var cont string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cont == "" && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, cont = cont+line, ""
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			require.NotContains(t, u, section, "section %s twice", section)
			u[section] = map[string][]string{}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: %q is not Key=Value", path, line)
		require.NotEmpty(t, section, "%s: %q before any section", path, line)
		u[section][strings.TrimSpace(key)] = append(u[section][strings.TrimSpace(key)], strings.TrimSpace(value))
	}
	require.Empty(t, cont, "%s ends in a backslash", path)
	return u
}

const unitPath = "systemd/cogwatch-exporter.service"

// execArgs returns the unit's ExecStart as systemd runs it with env:
// ${VAR} as one word, $VAR split at white space.
func execArgs(t *testing.T, u unit, env map[string]string) []string {
	t.Helper()
	require.Len(t, u["Service"]["ExecStart"], 1)
	var args []string
	for _, w := range strings.Fields(u["Service"]["ExecStart"][0]) {
		if name, ok := strings.CutPrefix(w, "$"); ok && !strings.HasPrefix(name, "{") {
			args = append(args, strings.Fields(env[name])...)
			continue
		}
		args = append(args, regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(w, func(v string) string { return env[v[2:len(v)-1]] }))
	}
	return args
}

func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	u := parseUnit(t, unitPath)
	s := u["Service"]
	one := func(key string) string {
		t.Helper()
		require.Len(t, s[key], 1, key)
		return s[key][0]
	}
	for key, want := range map[string]string{
		"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
		"PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes",
		"MemoryDenyWriteExecute": "yes", "StateDirectory": filepath.Base(stateDir), "Restart": "on-failure",
	} {
		require.Equal(t, want, one(key), key)
	}
	stop, err := time.ParseDuration(one("TimeoutStopSec"))
	require.NoError(t, err)
	require.Greater(t, stop, exporter.DefaultShutdownTimeout)
	require.Equal(t, []string{"multi-user.target"}, u["Install"]["WantedBy"])
	args := execArgs(t, u, map[string]string{"SNS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:t", "ARGS": "--a=1  --b"})
	require.Equal(t, "/usr/local/bin/cogwatch-exporter", args[0])
	require.Contains(t, args, "--sns.topic-arn=arn:aws:sns:eu-west-1:123456789012:t")
	require.Equal(t, []string{"--a=1", "--b"}, args[len(args)-2:])
}

// TestSystemdAnalyze runs systemd's own checks on the unit: verify (syntax,
// every key known) and security, whose exposure score sums what the
// hardening leaves open (0 to 10, lower is safer).
func TestSystemdAnalyze(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cogwatch-exporter")
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian's systemd package); TestSystemdUnit checked the keys")
	}
	// verify wants ExecStart's binary to exist: point it at a real one.
	raw, err := os.ReadFile(unitPath)
	require.NoError(t, err)
	unitFile := filepath.Join(t.TempDir(), filepath.Base(unitPath))
	require.NoError(t, os.WriteFile(unitFile, bytes.ReplaceAll(raw, []byte("/usr/local/bin/cogwatch-exporter"), []byte(exporterBinary(t))), 0o644))

	out, err := exec.CommandContext(t.Context(), analyze, "verify", unitFile).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify has no remark")

	bad := filepath.Join(t.TempDir(), "bad.service")
	misspelt, err := os.ReadFile(unitFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, bytes.Replace(misspelt, []byte("ProtectSystem=strict"), []byte("ProtectSystems=strict"), 1), 0o644))
	out, _ = exec.CommandContext(t.Context(), analyze, "verify", bad).CombinedOutput()
	require.Contains(t, string(out), "Unknown key 'ProtectSystems' in section [Service]", "verify remarks on a misspelt key")

	out, err = exec.CommandContext(t.Context(), analyze, "security", "--offline=true", unitFile).CombinedOutput()
	require.NoError(t, err, "%s", out)
	m := regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d+)`).FindSubmatch(out)
	require.NotNil(t, m, "%s", out)
	var exposure float64
	_, err = fmt.Sscan(string(m[1]), &exposure)
	require.NoError(t, err)
	t.Logf("systemd-analyze security: exposure %.1f", exposure)
	require.LessOrEqual(t, exposure, 2.0, "hardening weakened:\n%s", out)
}

var exporterBin = struct {
	sync.Once
	path string
	err  error
	out  []byte
}{}

// exporterBinary builds cogwatch-exporter once for the tests of this package.
func exporterBinary(t *testing.T) string {
	t.Helper()
	exporterBin.Do(func() {
		dir, err := os.MkdirTemp("", "deploy-test-")
		if err != nil {
			exporterBin.err = err
			return
		}
		exporterBin.path = filepath.Join(dir, "cogwatch-exporter")
		exporterBin.out, exporterBin.err = exec.Command("go", "build", "-o", exporterBin.path, "../cmd/cogwatch-exporter").CombinedOutput()
	})
	require.NoError(t, exporterBin.err, "%s", exporterBin.out)
	return exporterBin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exporterBin.path != "" {
		os.RemoveAll(filepath.Dir(exporterBin.path))
	}
	os.Exit(code)
}

// TestExporterAcceptsTheArguments passes each artifact's arguments to the
// exporter, followed by --version: kingpin parses every flag and value
// before it runs --version, so an unknown flag or a bad value fails.
func TestExporterAcceptsTheArguments(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cogwatch-exporter")
	}
	t.Parallel()
	bin := exporterBinary(t)
	m := load(t)
	u := parseUnit(t, unitPath)
	cases := map[string][]string{
		"deployment":   m.container(t).Args,
		"systemd unit": execArgs(t, u, map[string]string{"SNS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:t"})[1:],
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := exec.CommandContext(t.Context(), bin, append(slices.Clone(args), "--version")...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "cogwatch-exporter, version")
			out, err = exec.CommandContext(t.Context(), bin, append(slices.Clone(args), "--sns.no-such-flag", "--version")...).CombinedOutput()
			require.Error(t, err, "the check fails on an unknown flag: %s", out)
		})
	}
}

// TestKubernetesProbesAnswer runs the exporter with the Deployment's
// arguments and web configuration, on loopback ports, and sends each probe
// to the listener of the port it names.
func TestKubernetesProbesAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cogwatch-exporter")
	}
	t.Parallel()
	bin := exporterBinary(t)
	m := load(t)
	c := m.container(t)
	webConfig := argValue(t, c.Args, "--web.config.file")
	local := filepath.Join(t.TempDir(), filepath.Base(webConfig))
	require.NoError(t, os.WriteFile(local, []byte(m.configMap.Data[filepath.Base(webConfig)]), 0o644))
	// The state directory is the pod's volume: a temporary one here.
	state := t.TempDir()
	var args []string
	for _, a := range c.Args {
		a = strings.Replace(a, webConfig, local, 1)
		args = append(args, strings.Replace(a, "/var/lib/cogwatch-exporter", state, 1))
	}
	args = append(args, "--web.listen-address=127.0.0.1:0", "--sns.listen-address=127.0.0.1:0")
	cmd := exec.CommandContext(t.Context(), bin, args...)
	logs, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	addrs := testutil.ListeningOn(t, logs, 2)
	byPort := map[string]string{"metrics": addrs[""], "sns": addrs["sns"]}

	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		p := port(t, c, probe.HTTPGet.Port)
		resp, err := http.Get("http://" + byPort[p.Name] + probe.HTTPGet.Path)
		require.NoError(t, err, name)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s probe %s on %s", name, probe.HTTPGet.Path, p.Name)
	}
	resp, err := http.Get("http://" + byPort["metrics"] + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), "the ConfigMap's web config is in force")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
}

// TestBinariesLinkNoTestOnlyModule keeps the API types the tests decode
// into, and the image builder's registry library, out of every binary that
// runs in production.
func TestBinariesLinkNoTestOnlyModule(t *testing.T) {
	t.Parallel()
	out, err := exec.CommandContext(t.Context(), "go", "list", "../cmd/...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	var binaries []string
	for _, pkg := range strings.Fields(string(out)) {
		if !strings.HasSuffix(pkg, "/cmd/cogwatch-image") { // the image builder, which runs at build time only
			binaries = append(binaries, pkg)
		}
	}
	require.Greater(t, len(binaries), 5, "the exporter, the CLI and the Lambdas")
	out, err = exec.CommandContext(t.Context(), "go", append([]string{"list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}"}, binaries...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, mod := range strings.Fields(string(out)) {
		for _, banned := range []string{"k8s.io/", "sigs.k8s.io/", "github.com/prometheus-operator/", "github.com/google/go-containerregistry"} {
			require.False(t, strings.HasPrefix(mod, banned), "a binary links %s", mod)
		}
	}
}
