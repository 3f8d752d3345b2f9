import { describe, it, expect } from '@jest/globals';
import { IMAGE_REGISTRIES_ANNOTATION } from '@ocm-fl/common/names.js';
import { newManagedCluster } from '../testing/fixtures.js';
import { effectiveRegistries, overrideImage, registriesFromAnnotation } from './registries.js';

describe('overrideImage', () => {
  const cases: { name: string; regs: { source?: string; mirror: string }[]; image: string; want: string }[] =
    [
      {
        name: 'source prefix replaced',
        regs: [{ source: 'quay.io/ocm-fl', mirror: 'reg.local:5000/fl' }],
        image: 'quay.io/ocm-fl/spoke-agent:v1',
        want: 'reg.local:5000/fl/spoke-agent:v1',
      },
      {
        name: 'no match keeps image',
        regs: [{ source: 'docker.io', mirror: 'm.local' }],
        image: 'quay.io/a/b:1',
        want: 'quay.io/a/b:1',
      },
      {
        name: 'empty source keeps last segment',
        regs: [{ mirror: 'm.local/all' }],
        image: 'quay.io/a/b/c:2',
        want: 'm.local/all/c:2',
      },
      {
        name: 'empty string source same as absent',
        regs: [{ source: '', mirror: 'm.local/' }],
        image: 'c@sha256:ab',
        want: 'm.local/c@sha256:ab',
      },
      {
        name: 'trailing slashes ignored',
        regs: [{ source: 'quay.io/a/', mirror: 'm.local/x/' }],
        image: 'quay.io/a/b:1',
        want: 'm.local/x/b:1',
      },
      {
        name: 'last matching entry wins',
        regs: [
          { source: 'quay.io', mirror: 'first.local' },
          { source: 'quay.io/a', mirror: 'second.local' },
        ],
        image: 'quay.io/a/b:1',
        want: 'second.local/b:1',
      },
    ];
  it.each(cases)('$name', ({ regs, image, want }) => {
    expect(overrideImage(regs, image)).toBe(want);
  });
  it('no registries keeps image', () => expect(overrideImage(undefined, 'x:1')).toBe('x:1'));
});

describe('registries from the ManagedCluster annotation', () => {
  it('parses {"registries":[{mirror,source}]}', () => {
    const c = newManagedCluster('c1', {
      [IMAGE_REGISTRIES_ANNOTATION]: JSON.stringify({
        registries: [{ mirror: 'm.local/fl', source: 'quay.io/ocm-fl' }],
      }),
    });
    expect(registriesFromAnnotation(c)).toEqual([{ mirror: 'm.local/fl', source: 'quay.io/ocm-fl' }]);
  });
  it('absent annotation is no mirrors', () =>
    expect(registriesFromAnnotation(newManagedCluster('c1'))).toEqual([]));
  it('malformed annotation throws naming the annotation', () => {
    const c = newManagedCluster('c1', { [IMAGE_REGISTRIES_ANNOTATION]: '{not json' });
    expect(() => registriesFromAnnotation(c)).toThrow(IMAGE_REGISTRIES_ANNOTATION);
    const d = newManagedCluster('c1', { [IMAGE_REGISTRIES_ANNOTATION]: '{"registries":[{"source":"x"}]}' });
    expect(() => registriesFromAnnotation(d)).toThrow('registries[0]');
  });
  it('config wins over the annotation; annotation used when config has none', () => {
    const c = newManagedCluster('c1', {
      [IMAGE_REGISTRIES_ANNOTATION]: JSON.stringify({ registries: [{ mirror: 'annotation.local' }] }),
    });
    expect(effectiveRegistries([{ mirror: 'config.local' }], c)).toEqual([{ mirror: 'config.local' }]);
    expect(effectiveRegistries([], c)).toEqual([{ mirror: 'annotation.local' }]);
    expect(effectiveRegistries(undefined, c)).toEqual([{ mirror: 'annotation.local' }]);
  });
});
