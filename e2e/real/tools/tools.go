//go:build tools

// helm. (clusteradm is in ../clusteradm, the OCM binaries and the api module whose CRDs
// start.sh applies in ../ocm.)
package tools

import _ "helm.sh/helm/v3/cmd/helm"
