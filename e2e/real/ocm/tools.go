//go:build tools

// clusteradm and stage 2's OCM binaries: the real OCM hub controllers (registration,
// placement), the klusterlet agent (registration-operator `agent`: registration + work in one
// process) and the addon conversion webhook (`addon webhook-server`) the v1alpha1/v1beta1 addon
// CRDs need. One module because clusteradm imports open-cluster-management.io/ocm too; built by
// prepare.sh only when the Go module proxy serves the OCM modules.
package tools

import (
	_ "open-cluster-management.io/clusteradm/cmd/clusteradm"
	_ "open-cluster-management.io/ocm/cmd/addon"
	_ "open-cluster-management.io/ocm/cmd/placement"
	_ "open-cluster-management.io/ocm/cmd/registration"
	_ "open-cluster-management.io/ocm/cmd/registration-operator"
)
