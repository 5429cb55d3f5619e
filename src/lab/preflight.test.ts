import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNettraceError } from '../errors.ts';
import { findTool, LAB_TOOLS, missingTools, missingToolsMessage, requireRoot } from './preflight.ts';

describe('preflight', () => {
  test('a missing tool names its Debian package', () => {
    const missing = missingTools(LAB_TOOLS, (t) => t !== 'ovn-nbctl');
    assert.deepEqual(missing, [{ tool: 'ovn-nbctl', pkg: 'ovn-central' }]);
    assert.equal(missingToolsMessage(missing), 'ovn-nbctl not found: apt-get install ovn-central');
  });
  test('several missing tools: one line, every package once', () => {
    const missing = missingTools(
      LAB_TOOLS,
      (t) => !['ovn-nbctl', 'ovn-northd', 'ovn-controller', 'nft'].includes(t),
    );
    assert.equal(
      missingToolsMessage(missing),
      'nft not found: apt-get install nftables ovn-central ovn-host (also missing: ovn-nbctl, ovn-northd, ovn-controller)',
    );
  });
  test('the OVN and OVS tools map to the packages the README installs', () => {
    assert.equal(LAB_TOOLS['ovn-controller'], 'ovn-host');
    assert.equal(LAB_TOOLS['ovs-vswitchd'], 'openvswitch-switch');
  });
  test('findTool prefers the system directories and finds sh', () => {
    assert.match(findTool('sh') ?? '', /^\/(usr\/)?s?bin\/sh$/);
    assert.equal(findTool('nettrace-no-such-tool'), undefined);
  });
  test('not root: lab.not-root with the fix', () => {
    const real = process.getuid;
    process.getuid = () => 1000;
    try {
      assert.throws(
        () => requireRoot('nettrace lab up'),
        (e: unknown) =>
          isNettraceError(e) &&
          e.code === 'lab.not-root' &&
          /nettrace lab up needs root.*sudo/.test(e.message),
      );
    } finally {
      process.getuid = real;
    }
  });
});
