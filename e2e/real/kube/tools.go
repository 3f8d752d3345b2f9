//go:build tools

// The Kubernetes control plane of the real tier, built from the pinned k8s.io/kubernetes
// module (its staging modules are pinned by the replace lines in go.mod).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
