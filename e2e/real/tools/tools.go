//go:build tools

// helm, and the OCM api module whose CRDs start.sh applies (imported here only so `go mod tidy`
// keeps it). No clusteradm: it imports open-cluster-management.io/ocm, which the module proxy
// may refuse; it lives in ../ocm with stage 2.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
	_ "open-cluster-management.io/api/cluster/v1"
)
