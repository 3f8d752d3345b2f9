import { describe, it, expect } from '@jest/globals';
import { parseCustomizedVariables, SUPPORTED_VARIABLES } from './customized-variables.js';

describe('parseCustomizedVariables', () => {
  it('parses every supported name', () => {
    const { values, unknown } = parseCustomizedVariables([
      { name: 'LogLevel', value: 'debug' },
      { name: 'AgentImage', value: 'reg/agent:2' },
      { name: 'AggregatorHost', value: 'hub.example.com' },
      { name: 'AggregatorDnsSuffix', value: '.svc.example' },
      { name: 'HandoffPort', value: '9091' },
      { name: 'ImagePullPolicy', value: 'Always' },
    ]);
    expect(values).toEqual({
      logLevel: 'debug',
      agentImage: 'reg/agent:2',
      aggregatorHost: 'hub.example.com',
      aggregatorDnsSuffix: 'svc.example',
      handoffPort: 9091,
      imagePullPolicy: 'Always',
    });
    expect(unknown).toEqual([]);
    expect(Object.keys(values)).toHaveLength(SUPPORTED_VARIABLES.length);
  });
  it('reports unknown names and ignores them', () => {
    expect(parseCustomizedVariables([{ name: 'Foo', value: 'x' }])).toEqual({ values: {}, unknown: ['Foo'] });
  });
  it.each([
    ['LogLevel', 'verbose'],
    ['HandoffPort', '70000'],
    ['HandoffPort', 'abc'],
    ['ImagePullPolicy', 'Sometimes'],
    ['AggregatorHost', 'bad host'],
    ['AgentImage', ''],
  ])('%s=%s is an error naming the entry', (name, value) => {
    expect(() =>
      parseCustomizedVariables([
        { name: 'LogLevel', value: 'info' },
        { name, value },
      ]),
    ).toThrow(`spec.customizedVariables[1] (${name})`);
  });
});
