//go:build tools

// Stage 2: the real OCM hub controllers (registration, placement) and the klusterlet agent
// (registration-operator `agent`, registration + work in one process), and the addon
// conversion webhook (`addon webhook-server`) the v1alpha1/v1beta1 addon CRDs need.
package tools

import (
	_ "open-cluster-management.io/ocm/cmd/addon"
	_ "open-cluster-management.io/ocm/cmd/placement"
	_ "open-cluster-management.io/ocm/cmd/registration"
	_ "open-cluster-management.io/ocm/cmd/registration-operator"
)
