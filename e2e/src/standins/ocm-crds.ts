/**
 * The OCM CustomResourceDefinitions the embedded API servers serve, written as compact data
 * after open-cluster-management-io/api (group, version, plural, scope, short names, status
 * subresource and printer columns as upstream; schemas keep the fields this project and the
 * tests use, with upstream defaults, and preserve the rest where upstream is large).
 * Only v1alpha1 of the addon kinds is served: the embedded server has no conversion webhook,
 * and upstream stores v1alpha1.
 */
import {
  CRD_API_VERSION,
  type CrdVersion,
  type CustomResourceDefinition,
} from '@ocm-fl/common/api/crds/crd.js';
import type { JsonSchemaProps } from '@ocm-fl/common/api/crds/crd.js';
import {
  anyObj,
  arr,
  bool,
  conditions,
  enumOf,
  int,
  labelSelector,
  matchExpressions,
  obj,
  quantityMap,
  root,
  str,
  strList,
  strMap,
  type Schema,
} from './crd-schema.js';

interface CrdInput {
  group: string;
  version: string;
  kind: string;
  plural: string;
  scope: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  status?: boolean;
  schema: JsonSchemaProps;
  columns?: CrdVersion['additionalPrinterColumns'];
}

function crd(i: CrdInput): CustomResourceDefinition {
  const version: CrdVersion = {
    name: i.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: i.schema },
    ...(i.status ? { subresources: { status: {} } } : {}),
    ...(i.columns ? { additionalPrinterColumns: i.columns } : {}),
  };
  return {
    apiVersion: CRD_API_VERSION,
    kind: 'CustomResourceDefinition',
    metadata: { name: `${i.plural}.${i.group}` },
    spec: {
      group: i.group,
      scope: i.scope,
      names: {
        plural: i.plural,
        singular: i.kind.toLowerCase(),
        kind: i.kind,
        listKind: `${i.kind}List`,
        ...(i.shortNames ? { shortNames: i.shortNames } : {}),
      },
      versions: [version],
    },
  };
}

const CLUSTER = 'cluster.open-cluster-management.io';
const ADDON = 'addon.open-cluster-management.io';
const WORK = 'work.open-cluster-management.io';
const cond = (type: string, field: 'status' | 'reason' = 'status'): string =>
  `.status.conditions[?(@.type=="${type}")].${field}`;
const withDefault = (x: JsonSchemaProps, def: unknown): JsonSchemaProps => ({ ...x, default: def }) as Schema;

const configRef = (): JsonSchemaProps => obj({ name: str(), namespace: str(), specHash: str() }, ['name']);
const addOnConfig = (): JsonSchemaProps =>
  obj({ group: withDefault(str(), ''), resource: str(), name: str(), namespace: str() }, [
    'name',
    'resource',
  ]);
const taintEffect = (): JsonSchemaProps => enumOf(['NoSelect', 'PreferNoSelect', 'NoSelectIfNew']);

export const managedClusterCrd = crd({
  group: CLUSTER,
  version: 'v1',
  kind: 'ManagedCluster',
  plural: 'managedclusters',
  scope: 'Cluster',
  shortNames: ['mcl', 'mcls'],
  status: true,
  columns: [
    { name: 'Hub Accepted', type: 'boolean', jsonPath: '.spec.hubAcceptsClient' },
    { name: 'Managed Cluster URLs', type: 'string', jsonPath: '.spec.managedClusterClientConfigs[*].url' },
    { name: 'Joined', type: 'string', jsonPath: cond('ManagedClusterJoined') },
    { name: 'Available', type: 'string', jsonPath: cond('ManagedClusterConditionAvailable') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  schema: root({
    spec: obj({
      hubAcceptsClient: bool(),
      leaseDurationSeconds: withDefault(int(), 60),
      managedClusterClientConfigs: arr(obj({ url: str(), caBundle: str({ format: 'byte' }) }, ['url'])),
      taints: arr(
        obj({ key: str(), value: str(), effect: taintEffect(), timeAdded: str({ format: 'date-time' }) }, [
          'key',
          'effect',
        ]),
      ),
    }),
    status: obj({
      conditions: conditions(),
      capacity: quantityMap(),
      allocatable: quantityMap(),
      version: obj({ kubernetes: str() }),
      clusterClaims: arr(obj({ name: str({ minLength: 1 }), value: str() })),
      managedNamespaces: arr(anyObj()),
    }),
  }),
});

export const clusterClaimCrd = crd({
  group: CLUSTER,
  version: 'v1alpha1',
  kind: 'ClusterClaim',
  plural: 'clusterclaims',
  scope: 'Cluster',
  schema: root({ spec: obj({ value: str({ minLength: 1, maxLength: 1024 }) }) }),
});

export const managedClusterSetCrd = crd({
  group: CLUSTER,
  version: 'v1beta2',
  kind: 'ManagedClusterSet',
  plural: 'managedclustersets',
  scope: 'Cluster',
  shortNames: ['mclset', 'mclsets'],
  status: true,
  columns: [
    { name: 'Empty', type: 'string', jsonPath: cond('ClusterSetEmpty') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  schema: root({
    spec: withDefault(
      obj({
        clusterSelector: withDefault(
          obj(
            {
              selectorType: enumOf(['ExclusiveClusterSetLabel', 'LabelSelector'], 'ExclusiveClusterSetLabel'),
              labelSelector: labelSelector(),
            },
            ['selectorType'],
          ),
          { selectorType: 'ExclusiveClusterSetLabel' },
        ),
        managedNamespaces: arr(obj({ name: str() }, ['name'])),
      }),
      { clusterSelector: { selectorType: 'ExclusiveClusterSetLabel' } },
    ),
    status: obj({ conditions: conditions() }),
  }),
});

export const managedClusterSetBindingCrd = crd({
  group: CLUSTER,
  version: 'v1beta2',
  kind: 'ManagedClusterSetBinding',
  plural: 'managedclustersetbindings',
  scope: 'Namespaced',
  shortNames: ['mclsetbinding', 'mclsetbindings'],
  status: true,
  schema: root({
    spec: obj({ clusterSet: str({ minLength: 1 }) }),
    status: obj({ conditions: conditions() }),
  }),
});

const toleration = (): JsonSchemaProps =>
  obj({
    key: str(),
    operator: withDefault(str(), 'Equal'),
    value: str({ maxLength: 1024 }),
    effect: taintEffect(),
    tolerationSeconds: int(),
  });

export const placementCrd = crd({
  group: CLUSTER,
  version: 'v1beta1',
  kind: 'Placement',
  plural: 'placements',
  scope: 'Namespaced',
  status: true,
  columns: [
    { name: 'Succeeded', type: 'string', jsonPath: cond('PlacementSatisfied') },
    { name: 'Reason', type: 'string', jsonPath: cond('PlacementSatisfied', 'reason') },
    { name: 'SelectedClusters', type: 'integer', jsonPath: '.status.numberOfSelectedClusters' },
  ],
  schema: root(
    {
      spec: obj({
        clusterSets: strList(),
        numberOfClusters: int(),
        predicates: arr(
          obj({
            requiredClusterSelector: obj({
              labelSelector: labelSelector(),
              claimSelector: obj({ matchExpressions: matchExpressions() }),
              celSelector: obj({ celExpressions: strList() }),
            }),
          }),
        ),
        prioritizerPolicy: obj({
          mode: withDefault(str(), 'Additive'),
          configurations: arr(
            obj(
              {
                scoreCoordinate: obj(
                  {
                    type: enumOf(['BuiltIn', 'AddOn'], 'BuiltIn'),
                    builtIn: str(),
                    addOn: obj({ resourceName: str(), scoreName: str() }, ['resourceName', 'scoreName']),
                  },
                  ['type'],
                ),
                weight: withDefault(int({ minimum: -10, maximum: 10 }), 1),
              },
              ['scoreCoordinate'],
            ),
          ),
        }),
        spreadPolicy: anyObj(),
        tolerations: arr(toleration()),
        decisionStrategy: anyObj(),
      }),
      status: obj({
        numberOfSelectedClusters: int(),
        decisionGroups: arr(
          obj({
            decisionGroupIndex: int(),
            decisionGroupName: str(),
            decisions: strList(),
            clusterCount: int(),
          }),
        ),
        conditions: conditions(),
      }),
    },
    ['spec'],
  ),
});

export const placementDecisionCrd = crd({
  group: CLUSTER,
  version: 'v1beta1',
  kind: 'PlacementDecision',
  plural: 'placementdecisions',
  scope: 'Namespaced',
  status: true,
  schema: root({
    status: obj(
      { decisions: arr(obj({ clusterName: str(), reason: str(), score: int() }, ['clusterName', 'reason'])) },
      ['decisions'],
    ),
  }),
});

export const addOnPlacementScoreCrd = crd({
  group: CLUSTER,
  version: 'v1alpha1',
  kind: 'AddOnPlacementScore',
  plural: 'addonplacementscores',
  scope: 'Namespaced',
  status: true,
  schema: root({
    status: obj({
      conditions: conditions(),
      scores: arr(obj({ name: str(), value: int({ minimum: -100, maximum: 100 }) }, ['name', 'value'])),
      validUntil: str({ format: 'date-time' }),
    }),
  }),
});

export const clusterManagementAddOnCrd = crd({
  group: ADDON,
  version: 'v1alpha1',
  kind: 'ClusterManagementAddOn',
  plural: 'clustermanagementaddons',
  scope: 'Cluster',
  shortNames: ['cma', 'cmas'],
  status: true,
  columns: [
    { name: 'DISPLAY NAME', type: 'string', jsonPath: '.spec.addOnMeta.displayName' },
    { name: 'CRD NAME', type: 'string', jsonPath: '.spec.addOnConfiguration.crdName' },
  ],
  schema: root(
    {
      spec: obj({
        addOnMeta: obj({ displayName: str(), description: str() }),
        addOnConfiguration: anyObj(),
        supportedConfigs: arr(
          obj(
            {
              group: withDefault(str(), ''),
              resource: str(),
              defaultConfig: obj({ name: str(), namespace: str() }, ['name']),
            },
            ['resource'],
          ),
        ),
        installStrategy: withDefault(
          obj({
            type: enumOf(['Manual', 'Placements'], 'Manual'),
            placements: arr(
              obj(
                {
                  name: str(),
                  namespace: str(),
                  configs: arr(addOnConfig()),
                  rolloutStrategy: withDefault({ ...anyObj() }, { type: 'All' }),
                },
                ['name', 'namespace'],
              ),
            ),
          }),
          { type: 'Manual' },
        ),
      }),
      status: obj({ defaultconfigReferences: arr(anyObj()), installProgressions: arr(anyObj()) }),
    },
    ['spec'],
  ),
});

export const managedClusterAddOnCrd = crd({
  group: ADDON,
  version: 'v1alpha1',
  kind: 'ManagedClusterAddOn',
  plural: 'managedclusteraddons',
  scope: 'Namespaced',
  shortNames: ['mca', 'mcas'],
  status: true,
  columns: [
    { name: 'Available', type: 'string', jsonPath: cond('Available') },
    { name: 'Degraded', type: 'string', jsonPath: cond('Degraded') },
    { name: 'Progressing', type: 'string', jsonPath: cond('Progressing') },
  ],
  schema: root(
    {
      spec: obj({
        installNamespace: withDefault(str(), 'open-cluster-management-agent-addon'),
        configs: arr(addOnConfig()),
      }),
      status: obj({
        conditions: conditions(),
        relatedObjects: arr(
          obj({ group: str(), resource: str(), name: str(), namespace: str() }, [
            'group',
            'name',
            'resource',
          ]),
        ),
        addOnMeta: obj({ displayName: str(), description: str() }),
        addOnConfiguration: anyObj(),
        supportedConfigs: arr(obj({ group: withDefault(str(), ''), resource: str() }, ['resource'])),
        configReferences: arr(
          obj(
            {
              group: withDefault(str(), ''),
              resource: str(),
              name: str(),
              namespace: str(),
              lastObservedGeneration: int(),
              desiredConfig: configRef(),
              lastAppliedConfig: configRef(),
            },
            ['name', 'resource'],
          ),
        ),
        registrations: arr(
          obj(
            {
              signerName: str(),
              subject: obj({ user: str(), groups: strList(), organizationUnit: strList() }),
            },
            ['signerName'],
          ),
        ),
        namespace: str(),
        healthCheck: obj({ mode: enumOf(['Lease', 'Customized'], 'Lease') }),
        kubeClientDriver: enumOf(['csr', 'token']),
      }),
    },
    ['spec'],
  ),
});

export const addOnDeploymentConfigCrd = crd({
  group: ADDON,
  version: 'v1alpha1',
  kind: 'AddOnDeploymentConfig',
  plural: 'addondeploymentconfigs',
  scope: 'Namespaced',
  schema: root(
    {
      spec: obj({
        customizedVariables: arr(
          obj({ name: str({ maxLength: 255 }), value: str({ maxLength: 1024 }) }, ['name']),
        ),
        nodePlacement: obj({
          nodeSelector: strMap(),
          tolerations: arr(
            obj({ key: str(), operator: str(), value: str(), effect: str(), tolerationSeconds: int() }),
          ),
        }),
        registries: arr(obj({ mirror: str(), source: str() }, ['mirror'])),
        proxyConfig: obj({
          httpProxy: str(),
          httpsProxy: str(),
          noProxy: str(),
          caBundle: str({ format: 'byte' }),
        }),
        agentInstallNamespace: withDefault(str({ maxLength: 63 }), 'open-cluster-management-agent-addon'),
        resourceRequirements: arr(
          obj(
            {
              containerID: str(),
              resources: obj({ requests: quantityMap(), limits: quantityMap(), claims: arr(anyObj()) }),
            },
            ['containerID', 'resources'],
          ),
        ),
      }),
    },
    ['spec'],
  ),
});

const resourceIdentifier = (): JsonSchemaProps =>
  obj({ group: str(), resource: str(), name: str(), namespace: str() }, ['name', 'resource']);

export const manifestWorkCrd = crd({
  group: WORK,
  version: 'v1',
  kind: 'ManifestWork',
  plural: 'manifestworks',
  scope: 'Namespaced',
  status: true,
  schema: root({
    spec: obj({
      workload: obj({
        manifests: arr({
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          'x-kubernetes-embedded-resource': true,
        } as Schema),
      }),
      deleteOption: obj({
        propagationPolicy: enumOf(['Foreground', 'Orphan', 'SelectivelyOrphan'], 'Foreground'),
        selectivelyOrphans: obj({ orphaningRules: arr(resourceIdentifier()) }),
        ttlSecondsAfterFinished: int(),
      }),
      manifestConfigs: arr(
        obj(
          {
            resourceIdentifier: resourceIdentifier(),
            feedbackRules: arr(
              obj(
                {
                  type: enumOf(['WellKnownStatus', 'JSONPaths']),
                  jsonPaths: arr(obj({ name: str(), path: str(), version: str() }, ['name', 'path'])),
                },
                ['type'],
              ),
            ),
            updateStrategy: obj(
              {
                type: enumOf(['Update', 'CreateOnly', 'ServerSideApply', 'ReadOnly'], 'Update'),
                serverSideApply: anyObj(),
              },
              ['type'],
            ),
            conditionRules: arr(anyObj()),
            feedbackScrapeType: enumOf(['Poll', 'Watch'], 'Poll'),
          },
          ['resourceIdentifier'],
        ),
      ),
      executor: anyObj(),
    }),
    status: obj({
      conditions: conditions(),
      resourceStatus: obj({
        manifests: arr(
          obj(
            {
              resourceMeta: obj(
                {
                  ordinal: int(),
                  group: str(),
                  version: str(),
                  kind: str(),
                  resource: str(),
                  name: str(),
                  namespace: str(),
                },
                ['ordinal'],
              ),
              statusFeedback: obj({
                values: arr(
                  obj(
                    {
                      name: str(),
                      fieldValue: obj(
                        {
                          type: enumOf(['Integer', 'String', 'Boolean', 'JsonRaw']),
                          integer: int(),
                          string: str(),
                          boolean: bool(),
                          jsonRaw: str({ maxLength: 1024 }),
                        },
                        ['type'],
                      ),
                    },
                    ['name', 'fieldValue'],
                  ),
                ),
              }),
              conditions: conditions(),
            },
            ['resourceMeta', 'conditions'],
          ),
        ),
      }),
    }),
  }),
});

export const appliedManifestWorkCrd = crd({
  group: WORK,
  version: 'v1',
  kind: 'AppliedManifestWork',
  plural: 'appliedmanifestworks',
  scope: 'Cluster',
  status: true,
  schema: root({
    spec: obj({ hubHash: str(), agentID: str(), manifestWorkName: str() }, ['hubHash', 'manifestWorkName']),
    status: obj({
      appliedResources: arr(
        obj({ group: str(), version: str(), resource: str(), namespace: str(), name: str(), uid: str() }, [
          'name',
          'resource',
          'version',
        ]),
      ),
      evictionStartTime: str({ format: 'date-time' }),
    }),
  }),
});

/** CRDs the hub serves (the cluster manager's). */
export const HUB_CRDS: readonly CustomResourceDefinition[] = [
  managedClusterCrd,
  managedClusterSetCrd,
  managedClusterSetBindingCrd,
  placementCrd,
  placementDecisionCrd,
  addOnPlacementScoreCrd,
  clusterManagementAddOnCrd,
  managedClusterAddOnCrd,
  addOnDeploymentConfigCrd,
  manifestWorkCrd,
];

/** CRDs a managed cluster serves (the klusterlet's). */
export const MANAGED_CLUSTER_CRDS: readonly CustomResourceDefinition[] = [
  clusterClaimCrd,
  appliedManifestWorkCrd,
];
