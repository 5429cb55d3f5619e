// The text summary (`nettrace analyze FILE`) is rendered from a result that holds only the records
// it shows (ResultOptions.summaryOf): it must read exactly as when rendered from the whole result.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeFiles } from '../analyze.ts';
import { syntheticTraffic } from '../decode/test-support/flat-frames-traffic.ts';
import { captures, TESTDATA } from '../pcap/test-support/captures.ts';
import { writePcapngFile } from '../pcap/writer.ts';
import { renderSummary } from './summary.ts';

describe('the text summary from the records it shows = from the whole result', () => {
  const files = captures(TESTDATA);

  const same = (file: string) => {
    const whole = analyzeFiles([file]);
    for (const top of [1, 3, 10]) {
      for (const sortFlows of ['bytes', 'packets', 'duration'] as const) {
        const shown = analyzeFiles([file], { result: { summaryOf: top, summaryBy: sortFlows } });
        assert.ok(shown.conversations.flows.length <= 2 * top, `more flows kept than shown (top ${top})`);
        assert.ok(shown.conversations.dns.length <= 2 * top, `more DNS kept than shown (top ${top})`);
        for (const sections of ['all', { flows: true }, { dns: true }] as const) {
          const o = { sections, top, color: false, sortFlows };
          assert.equal(renderSummary(shown, o), renderSummary(whole, o), `top ${top} by ${sortFlows}`);
        }
      }
    }
    return whole;
  };

  test('a synthetic capture of hundreds of flows and DNS transactions, with ties', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-summary-'));
    try {
      const path = join(dir, 'mixed.pcapng');
      writePcapngFile(path, (w) => {
        const ifc = w.addInterface({ linktype: 1, name: 'eth0' });
        for (const p of syntheticTraffic(150))
          w.writePacket(ifc, { tsSec: 1_718_000_000, tsNsec: p.tNs, data: p.data, origLen: p.origLen });
      });
      const c = same(path).conversations;
      // Enough to choose from, and ties to break: every answer comes 300 µs after its query.
      assert.ok(c.flows.length >= 150 && c.dns.length >= 150, `${c.flows.length} flows, ${c.dns.length} DNS`);
      const bytes = c.flows.map((f) => f.bytesAB + f.bytesBA);
      assert.ok(new Set(bytes).size < bytes.length, 'flows of equal size');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const file of files) {
    test(relative(TESTDATA, file), () => {
      same(file);
    });
  }
});
