//go:build tools

// Stage 2's OCM binaries, all from open-cluster-management.io/ocm v1.2.0 (what the Go module
// proxy serves): the hub registration controller (`registration controller`), the placement
// controller (`placement controller`), the addon manager and its conversion webhook (`addon
// manager`, `addon webhook-server`) and the klusterlet agent (`registration-operator agent`:
// registration + work in one process). A module of its own: with clusteradm in the same
// module, MVS picks a newer controller-runtime and ocm's webhooks no longer compile.
package tools

import (
	_ "open-cluster-management.io/ocm/cmd/addon"
	_ "open-cluster-management.io/ocm/cmd/placement"
	_ "open-cluster-management.io/ocm/cmd/registration"
	_ "open-cluster-management.io/ocm/cmd/registration-operator"
)
