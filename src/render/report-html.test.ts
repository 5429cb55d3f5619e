// report.html over traces built from the recorded lab (topology recording + lab capture, see
// test-support/trace-fixture.ts): what the page says, that it reaches for nothing outside itself,
// that capture strings cannot become markup, that big traces fold; then the page as headless
// Chromium renders it (DOM and a screenshot).
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Journey } from '../journey/types.ts';
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from '../trace/types.ts';
import { renderReportHtml } from './report-html.ts';
import { describeFinding } from './report-journey.ts';
import { duration, esc } from './report-util.ts';
import { CHROMIUM, chromium } from './test-support/chromium.ts';
import { labTrace } from './test-support/trace-fixture.ts';

type Lab = { trace: TraceResult; topology: Topology };

/** The `data-hop` ids of an element kind, in document order. */
function hopIds(html: string, tag: 'tr' | 'g'): string[] {
  return [...html.matchAll(new RegExp(`<${tag}\\b[^>]*\\bdata-hop="([^"]*)"`, 'g'))].map((m) => m[1]!);
}

/** The HTML of journey i's details block. */
function journeyBlock(html: string, i: number): string {
  const start = html.indexOf(`<details class="journey" id="j-${i}"`);
  assert.ok(start >= 0, `journey ${i} is drawn in full`);
  return html.slice(start, html.indexOf('</details>', start));
}

/**
 * `includes`, failing with the text it looked for. (A bare `assert.ok(cond)` makes node read the
 * test's source to phrase its message; under tsx that can spin for minutes.)
 */
function has(html: string, text: string): void {
  assert.ok(html.includes(text), `the page shows ${JSON.stringify(text)}`);
}

/** True when position i of the HTML is inside a tag (an attribute), not in text. */
function insideTag(html: string, i: number): boolean {
  return html.lastIndexOf('<', i) > html.lastIndexOf('>', i);
}

/** Nothing in the page's markup (its tags and their attributes) reaches outside the page. */
function assertSelfContained(html: string): void {
  // Escaped text holds no `<` or `>`, so every match here is real markup.
  const tags = [...html.matchAll(/<[a-zA-Z][^>]*>/g)].map((m) => m[0]);
  assert.ok(tags.length > 100, `only ${tags.length} tags`);
  for (const tag of tags) {
    assert.doesNotMatch(
      tag,
      /^<(script|link|iframe|img|image|object|embed|base|frame|use|audio|video|source)\b/i,
      tag,
    );
    // Attribute names only: values are quoted and escaped, whatever text they hold.
    const names = tag.replace(/"[^"]*"/g, '""');
    assert.doesNotMatch(names, /\s(src|srcset|action|xlink:href|background|style|on\w+)=/i, tag);
    const href = /\shref="([^"]*)"/.exec(tag);
    if (href) assert.match(href[1]!, /^(#[\w-]+|[\w.-]+)$/, `${tag} stays in the page or the bundle folder`);
  }
  const css = html.slice(html.indexOf('<style>'), html.indexOf('</style>'));
  assert.doesNotMatch(css, /@import|url\(|@font-face/i);
  for (const m of html.matchAll(/https?:\/\//gi))
    assert.ok(!insideTag(html, m.index), `URL inside a tag: ${html.slice(m.index - 40, m.index + 40)}`);
  assert.match(
    html,
    /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/,
  );
}

describe('report.html from the recorded lab', () => {
  let service: Lab;
  let egress: Lab;
  let egressLost: Lab;
  before(async () => {
    service = await labTrace('service');
    egress = await labTrace('egress');
    egressLost = await labTrace('egress', { captureExternal: true, silence: ['external/203.0.113.10'] });
  });

  test('the header says what was traced, when, how, along which path, and where the bundle is', () => {
    const t = structuredClone(service.trace);
    t.bundle = '/var/tmp/nettrace-2026 bundle';
    const html = renderReportHtml({ trace: t, topology: service.topology });
    assert.match(
      html,
      /<title>nettrace: pod\/nettools-dual-pod → svc\/static-server \(cross-node\): HTTP GET \/<\/title>/,
    );
    has(html, `<h1>${esc(t.title)}</h1>`);
    has(html, 'HTTP GET / on port 80');
    has(
      html,
      'cross-node: pod network-trace/nettools-dual-pod (10.128.2.43) → service network-trace/static-server',
    );
    has(html, 'service network-trace/static-server 172.30.112.80:80 → 10.129.0.12:8080');
    has(html, `<code>${esc(t.filter)}</code>`);
    has(html, esc(t.t0));
    has(html, '/var/tmp/nettrace-2026 bundle');
    for (const f of ['capture.pcapng', 'topology.json', 'trace.json', 'conntrack.log', 'commands.log'])
      assert.ok(html.includes(`<a href="${f}">${f}</a>`), f);
    const when = new Date(t.startedAt).toISOString().slice(0, 19).replace('T', ' ');
    has(html, `${when} UTC`);
    has(html, esc(duration(t.durationMs * 1e6)));
    delete t.bundle;
    has(renderReportHtml({ trace: t }), '<dt>bundle</dt><dd>not saved</dd>');
  });

  test('the path: every hop in order in the drawing and the table; capture points filled, the rest dashed', () => {
    for (const lab of [service, egress]) {
      const html = renderReportHtml(lab);
      const ids = lab.trace.path.hops.map((h) => esc(h.id));
      assert.deepEqual(hopIds(html, 'g'), ids);
      assert.deepEqual(hopIds(html, 'tr'), ids);
      const svg = html.slice(html.indexOf('<svg class="path-svg"'), html.indexOf('</svg>'));
      const captured = new Set(lab.trace.points.map((p) => p.id));
      for (const h of lab.trace.path.hops) {
        const g = svg.slice(svg.indexOf(`data-hop="${esc(h.id)}"`));
        assert.match(
          g,
          captured.has(h.id)
            ? /^[^>]*><title>[^<]*<\/title><rect class="hop cap/
            : /^[^>]*><title>[^<]*<\/title><rect class="hop nocap/,
          h.id,
        );
      }
    }
    // OVN's pipeline says what it does: the load balancer's DNAT, the router's TTL and MAC.
    const html = renderReportHtml(service);
    has(html, 'DNAT 172.30.112.80:80 → 10.129.0.12:8080 (load balancer of network-trace/static-server');
    has(html, 'geneve encap 198.18.0.9 → 198.18.0.7 udp/6081');
    assert.match(html, /class="link-label"[^>]*><tspan[^>]*>underlay<\/tspan><tspan[^>]*>geneve udp\/6081</);
  });

  test('with a Topology the drawing shows the nodes around the path: node IPs, bridges, other ports', () => {
    const html = renderReportHtml(service);
    const svg = html.slice(html.indexOf('<svg class="path-svg"'), html.indexOf('</svg>'));
    has(svg, 'node worker-0 · 198.18.0.9');
    has(svg, 'node worker-1 · 198.18.0.7');
    has(svg, 'br-int (OVN integration bridge)');
    has(svg, 'br-ex (gateway bridge)');
    assert.match(svg, /also on br-int: ovn-k8s-mp0 \(mp0\)/);
    assert.match(svg, /br-ex \(internal 198\.18\.0\.9\)/);
    const bare = renderReportHtml({ trace: service.trace });
    assert.doesNotMatch(bare, /also on br-int/);
    has(bare, 'node worker-0');
  });

  test("every journey's findings are written out with the point where they happened", () => {
    for (const lab of [service, egress, egressLost]) {
      const html = renderReportHtml({ ...lab, maxJourneys: Number.POSITIVE_INFINITY });
      lab.trace.journeys.forEach((j, i) => {
        const block = journeyBlock(html, i);
        for (const f of j.findings)
          assert.ok(block.includes(esc(describeFinding(f))), `${i}: ${describeFinding(f)}`);
      });
    }
    const html = renderReportHtml(egress);
    const q = egress.trace.journeys.findIndex((j) => j.summary.startsWith('ICMP echo request'));
    const a = egress.trace.journeys.findIndex((j) => j.answers === q);
    assert.match(
      journeyBlock(html, q),
      /SNAT ip\.src 10\.128\.2\.43 → 198\.18\.0\.9 at worker-0\/ens2f0np0<\/span> <span class="where">done in worker-0\/br-int by GR_worker-0</,
    );
    // The reply's un-SNAT is traced to the same gateway router.
    assert.match(
      journeyBlock(html, a),
      /DNAT ip\.dst 198\.18\.0\.9 → 10\.128\.2\.43 at worker-0\/b6814bbdcf83f31 \(undoing the request&#39;s NAT\)<\/span> <span class="where">done in worker-0\/br-int by GR_worker-0</,
    );
    const s = renderReportHtml(service);
    has(
      s,
      'Geneve encap VNI 4, outer 198.18.0.9 → 198.18.0.7 (OVN ports 3 → 2) at worker-0/ens2f0np0</span> <span class="where">done in worker-0/ovn-ca76e9-0<',
    );
    has(s, 'DNAT ip.dst 172.30.112.80 → 10.129.0.12 at worker-0/ens2f0np0');
  });

  test('the timing diagram places sightings by time and labels each delta; cross-clock deltas stand apart', () => {
    const html = renderReportHtml(service);
    service.trace.journeys.forEach((j, i) => {
      const block = journeyBlock(html, i);
      const xs = [...block.matchAll(/<circle class="dot" cx="([\d.]+)"/g)].map((m) => Number(m[1]));
      const ts = j.sightings.map((s) => s.time_ns);
      const t0 = Math.min(...ts);
      const span = Math.max(...ts) - t0;
      assert.equal(xs.length, ts.length);
      ts.forEach((t, k) => {
        assert.ok(Math.abs(xs[k]! - (330 + ((t - t0) / span) * 480)) < 0.11, `${i}/${k}`);
      });
      const bars = [...block.matchAll(/<rect class="(bar(?: nc)?)"/g)].map((m) => m[1]);
      assert.deepEqual(
        bars,
        j.sightings.slice(1).map((s) => (s.comparable === false ? 'bar nc' : 'bar')),
      );
      for (const s of j.sightings.slice(1))
        assert.ok(
          block.includes(`>+${duration(s.delta_ns!)}${s.comparable === false ? ' ‡' : ''}<`),
          `${i} ${s.point}`,
        );
      has(block, "this delta spans two nodes' clocks");
    });
    // One node, one clock: nothing to warn about.
    const one = renderReportHtml(egress);
    assert.doesNotMatch(one, /class="bar nc"|this delta spans two nodes/);
  });

  test('the sightings table shows each hop with what changed since the one before marked', () => {
    const html = renderReportHtml(service);
    const block = journeyBlock(html, 0);
    const table = block.slice(block.indexOf('<table class="sightings">'));
    const rows = table.split('<tr>').slice(2);
    assert.equal(rows.length, 6);
    // At worker-0's NIC: DNAT to the backend, TTL 63, new MACs, Geneve VNI 4 — all marked.
    assert.match(rows[2]!, /<td class="chg"[^>]*>10\.129\.0\.12<\/td>/);
    assert.match(rows[2]!, /<td class="num chg"[^>]*>63</);
    assert.match(rows[2]!, /class="wrap chg"[^>]*>Geneve 4 198\.18\.0\.9→198\.18\.0\.7 ovn 3→2</);
    // Decapsulated at worker-1's veth: the tunnel column marks that it went away.
    assert.match(rows[4]!, /class="wrap chg"[^>]*>—</);
    assert.doesNotMatch(rows[1]!, /class="chg"/);
  });

  test('a loss is called out, drawn red at the last point that saw it, and the silent point warned about', () => {
    const html = renderReportHtml(egressLost);
    const lost = egressLost.trace.journeys.filter((j) => j.findings.some((f) => f.kind === 'lost')).length;
    assert.ok(lost > 30, `${lost} lost journeys`);
    has(html, `<b>${lost} journeys ended before the path did.</b>`);
    has(html, 'lost after worker-0/ens2f0np0: never seen at external/203.0.113.10');
    has(html, '<li>external/203.0.113.10 captured no packets</li>');
    assert.match(html, /data-hop="worker-0\/ens2f0np0"><title>[^<]*<\/title><rect class="hop cap bad"/);
    assert.match(html, /data-hop="external\/203\.0\.113\.10"><title>[^<]*<\/title><rect class="hop cap bad"/);
  });

  test('self-contained: no URL, script, stylesheet or font outside the page; a CSP forbids fetching', () => {
    for (const lab of [service, egress, egressLost]) {
      const html = renderReportHtml(lab);
      assertSelfContained(html);
    }
    // URLs in captured text (a curl probe's output) are shown, as text.
    const t = structuredClone(service.trace);
    t.probe!.output = 'curl: (7) Failed to connect to http://172.30.112.80/ <https://example.com/x>';
    t.warnings.push('see https://example.com/help');
    const html = renderReportHtml({ trace: t });
    assertSelfContained(html);
    has(html, 'see https://example.com/help');
    has(html, 'Failed to connect to http://172.30.112.80/ &lt;https://example.com/x&gt;');
  });

  test('every string from the trace is escaped: a <script> anywhere shows as text', () => {
    const t = structuredClone(egress.trace);
    const evil = '<script>alert("x")</script>';
    const attr = '"><img src=x onerror=alert(1)>';
    t.title = evil;
    t.request.src = evil;
    t.filter = evil;
    t.warnings.push(evil);
    t.clockWarnings.push(evil);
    t.path.notes.push(evil);
    t.path.hops[2]!.note = evil;
    t.path.hops[0]!.id = `worker-0/${attr}`;
    t.points[0]!.id = `worker-0/${attr}`;
    t.points[1]!.description = evil;
    t.journeys[0]!.summary = evil;
    t.journeys[0]!.sightings[0]!['eth.src'] = evil;
    t.journeys[0]!.findings.push({ kind: 'mac-rewrite', at: attr, field: 'eth.dst', from: evil, to: evil });
    t.probe!.argv.push(evil);
    t.probe!.output = evil;
    t.bundle = evil;
    t.conntrack = structuredClone(egressLost.trace.conntrack ?? []);
    t.conntrack[0]!.source = evil;
    const html = renderReportHtml({ trace: t, files: [evil] });
    assert.doesNotMatch(html, /<script|<img/i);
    const shown = html.split('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;').length - 1;
    assert.ok(shown >= 15, `the injected string is shown escaped ${shown} times`);
    has(html, `data-hop="worker-0/&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"`);
    assertSelfContained(html.replaceAll(/<a href="[^"]*"/g, '<a'));
  });

  test('hundreds of journeys: 50 drawn in full (losses first), the rest folded with a count', () => {
    const base = egressLost.trace;
    const many = (n: number): TraceResult => {
      const t = structuredClone(base);
      const js: Journey[] = [];
      for (let i = 0; js.length < n; i++) {
        const j = structuredClone(base.journeys[i % base.journeys.length]!);
        const shift = Math.floor(i / base.journeys.length) * base.journeys.length;
        if (j.answers !== undefined) j.answers += shift;
        if (j.retransmits !== undefined) j.retransmits += shift;
        js.push(j);
      }
      t.journeys = js;
      return t;
    };
    const t = many(400);
    const html = renderReportHtml({ trace: t, topology: egressLost.topology });
    const drawn = [...html.matchAll(/<details class="journey" id="j-(\d+)"/g)].map((m) => Number(m[1]));
    assert.equal(drawn.length, 50);
    const problems = t.journeys
      .map((j, i) => (j.findings.some((f) => f.kind === 'lost') ? i : -1))
      .filter((i) => i >= 0);
    assert.deepEqual(drawn, problems.slice(0, 50));
    has(html, 'Showing 50 of 400 journeys in full (those with a loss or duplicate first); the other 350');
    const overview = html.slice(
      html.indexOf('<table class="overview">'),
      html.indexOf('</table>', html.indexOf('<table class="overview">')),
    );
    assert.equal(overview.match(/<tr><td class="num">/g)?.length, 400);
    assert.ok(html.length < 600_000, `${html.length} bytes for 400 journeys`);
    const huge = renderReportHtml({ trace: many(3000) });
    has(huge, '… and 2000 more journeys: see trace.json.');
    assert.ok(huge.length < 1_000_000, `${huge.length} bytes for 3000 journeys`);
  });

  test('an empty passive trace (no hop captured anything, no journeys) still renders every section', () => {
    const t = structuredClone(service.trace);
    delete t.request.probe;
    t.request.passive = { durationMs: 10_000 };
    delete t.probe;
    t.journeys = [];
    t.points = t.points.map((p) => ({ ...p, packets: 0 }));
    t.unmatched = { nonIp: 3, unknownPoint: 0, singleSighting: 0 };
    t.clockWarnings = [];
    t.clockOffsets = [];
    const html = renderReportHtml({ trace: t });
    has(html, 'none: passive capture for 10 s');
    has(html, '<p>No packet was seen at two points.</p>');
    has(html, '<li>3 frames without an IP packet (ARP, LLDP, …), not correlated</li>');
    assert.deepEqual(
      hopIds(html, 'tr'),
      t.path.hops.map((h) => h.id),
    );
    assert.match(html, /data-hop="worker-0\/ens2f0np0"><title>[^<]*<\/title><rect class="hop cap bad"/);
    assertSelfContained(html);
  });

  test('describeFinding: one sentence per kind, naming the field, both values and the point', () => {
    assert.equal(
      describeFinding({
        kind: 'snat',
        at: 'worker-0/ens2f0np0',
        field: 'ip.src',
        from: '10.128.2.43',
        to: '198.18.0.9',
      }),
      'SNAT ip.src 10.128.2.43 → 198.18.0.9 at worker-0/ens2f0np0',
    );
    assert.equal(
      describeFinding({ kind: 'routed', at: 'n/x', field: 'ip.ttl', from: 64, to: 62 }),
      'routed: ip.ttl 64 → 62 at n/x',
    );
    assert.equal(
      describeFinding({
        kind: 'decap',
        at: 'w1/v',
        tunnel: 'vxlan',
        vni: 7,
        'outer.ip.src': 'a',
        'outer.ip.dst': 'b',
      }),
      'VXLAN decap VNI 7, outer a → b at w1/v',
    );
    assert.equal(
      describeFinding({ kind: 'lost', at: 'w0/veth', expected: 'w0/nic', bytes: 2696 }),
      '2696 bytes of segments lost between w0/veth and w0/nic',
    );
    assert.equal(
      describeFinding({ kind: 'duplicate', at: 'w0/nic', count: 1, delta_ns: 1500 }),
      'duplicated at w0/nic: 2 copies within 1.5 µs',
    );
  });
});

describe('report.html in headless Chromium', () => {
  test('the rendered DOM holds the path and the findings; the screenshot is a real picture', async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: apt-get install chromium (the report test renders the page in it)`,
    );
    const lab = await labTrace('service');
    const t = structuredClone(lab.trace);
    t.bundle = '/tmp/nettrace-bundle';
    t.warnings.push('a capture string: <script>document.title = "pwned"</script>');
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-report-'));
    try {
      const file = join(dir, 'report.html');
      writeFileSync(file, renderReportHtml({ trace: t, topology: lab.topology }));
      const url = pathToFileURL(file).href;
      const png = join(dir, 'report.png');
      const [dom, shot] = await Promise.all([
        chromium(['--dump-dom', url], join(dir, 'profile-dom')),
        chromium(['--window-size=1400,2000', `--screenshot=${png}`, url], join(dir, 'profile-shot')),
      ]);
      assert.equal(dom.code, 0, dom.stderr.slice(-1000));
      assert.equal(shot.code, 0, shot.stderr.slice(-1000));
      const html = dom.stdout;
      // What the browser built, serialised back: text escapes only & < >.
      const text = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
      let at = 0;
      for (const h of t.path.hops) {
        const i = html.indexOf(`data-hop="${h.id}"`, at);
        assert.ok(i >= 0, `hop ${h.id} in the drawing, in order`);
        at = i;
      }
      assert.deepEqual(
        hopIds(html, 'tr'),
        t.path.hops.map((h) => h.id),
      );
      for (const j of t.journeys) for (const f of j.findings) has(html, text(describeFinding(f)));
      has(html, '&lt;script&gt;document.title = "pwned"&lt;/script&gt;');
      assert.doesNotMatch(html, /<script/i);
      assert.match(html, /<title>nettrace: pod\/nettools-dual-pod/);

      const bytes = readFileSync(png);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
      assert.equal(bytes.readUInt32BE(16), 1400);
      assert.equal(bytes.readUInt32BE(20), 2000);
      // A blank or unstyled page compresses to a few KB; the drawing, tables and text do not.
      assert.ok(statSync(png).size > 100_000, `screenshot is ${statSync(png).size} bytes`);
      if (process.env.NETTRACE_REPORT_SCREENSHOT) copyFileSync(png, process.env.NETTRACE_REPORT_SCREENSHOT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
