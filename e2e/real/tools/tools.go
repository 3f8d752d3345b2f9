//go:build tools

// The user-facing tools the real tier drives: clusteradm and helm, one module so they share
// their Kubernetes client libraries (and build cache).
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
	_ "open-cluster-management.io/clusteradm/cmd/clusteradm"
)
