// Package deploy holds no code: its tests check the deployment files beside
// it, kubernetes/ (decoded strictly into the Kubernetes and Prometheus
// Operator API types) and systemd/ (checked by systemd-analyze), against the
// exporter they run. The API types are imported by the tests only, so no
// binary links them.
package deploy
