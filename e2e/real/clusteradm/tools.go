//go:build tools

// clusteradm v1.3.1 (accept, addon enable/disable), with open-cluster-management.io/ocm
// replaced by v1.2.0 (go.mod). Kept apart from ../ocm: in one module MVS would pick
// clusteradm's newer controller-runtime and ocm v1.2.0's webhooks would not compile.
package tools

import _ "open-cluster-management.io/clusteradm/cmd/clusteradm"
