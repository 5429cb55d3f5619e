// What happened between two consecutive sightings of one journey, named at the point where it is
// first seen: NAT (which field, from -> to), a tunnel header appearing or going, a TTL decrement,
// rewritten MACs, extra copies; and where a journey stops short of the end of the path.
import type { RawJourney } from './passes.ts';
import type { SightingStore } from './store.ts';
import type { CapturePoint, Finding, NatField } from './types.ts';

/** ICMP types whose identifier is the querier's (like a source port); their answers carry it back. */
const ICMP_QUERY = new Set([8, 13, 15, 17]);
const ICMPV6_QUERY = 128;

export function isEcho(st: SightingStore, g: number): boolean {
  const t = st.gFlags[g]! >>> 8;
  const p = st.gProto[g]!;
  return (
    (p === 1 && (t === 0 || ICMP_QUERY.has(t) || t === 14 || t === 16 || t === 18)) ||
    (p === 58 && (t === 128 || t === 129))
  );
}

function portFields(proto: number): [NatField, NatField] | undefined {
  if (proto === 6) return ['tcp.srcport', 'tcp.dstport'];
  if (proto === 17) return ['udp.srcport', 'udp.dstport'];
  return undefined;
}

/** Findings between consecutive sightings, then `lost` when the journey ends before the path does. */
export function journeyFindings(
  st: SightingStore,
  points: CapturePoint[],
  sortedOrders: number[],
  j: RawJourney,
): Finding[] {
  const out: Finding[] = [];
  const ss = j.sightings;
  const g = j.group;
  const proto = st.gProto[g]!;
  const ports = portFields(proto);
  const echo = isEcho(st, g);
  const query = echo && (ICMP_QUERY.has(st.gFlags[g]! >>> 8) || st.gFlags[g]! >>> 8 === ICMPV6_QUERY);
  // Identical copies already at the first point were sent that way (a stack re-sending the same
  // bytes, e.g. RSTs with IP ID 0): only copies that appear further on are duplicates on the path.
  let prevDups = j.dups?.get(ss[0]!)?.count ?? 0;
  for (let i = 0; i < ss.length; i++) {
    const b = ss[i]!;
    const at = points[st.point[b]!]!.id;
    const dups = j.dups?.get(b);
    if (dups !== undefined && dups.count > prevDups) {
      out.push({ kind: 'duplicate', at, count: dups.count, delta_ns: dups.deltaNs });
    }
    prevDups = dups?.count ?? 0;
    if (i === 0) continue;
    const a = ss[i - 1]!;
    const ta = st.tunnel[a]!;
    const tb = st.tunnel[b]!;
    if (ta !== tb) {
      if (ta >= 0) out.push({ kind: 'decap', at, ...st.tunnels[ta]! });
      if (tb >= 0) out.push({ kind: 'encap', at, ...st.tunnels[tb]! });
    }
    if (st.src[a] !== st.src[b]) {
      out.push({ kind: 'snat', at, field: 'ip.src', from: st.srcText(a), to: st.srcText(b) });
    }
    if (st.dst[a] !== st.dst[b]) {
      out.push({ kind: 'dnat', at, field: 'ip.dst', from: st.dstText(a), to: st.dstText(b) });
    }
    if (ports !== undefined) {
      if (st.sport[a] !== st.sport[b]) {
        out.push({ kind: 'snat', at, field: ports[0], from: st.sport[a]!, to: st.sport[b]! });
      }
      if (st.dport[a] !== st.dport[b]) {
        out.push({ kind: 'dnat', at, field: ports[1], from: st.dport[a]!, to: st.dport[b]! });
      }
    } else if (echo && st.sport[a] !== st.sport[b]) {
      out.push({
        kind: query ? 'snat' : 'dnat',
        at,
        field: 'icmp.ident',
        from: st.sport[a]!,
        to: st.sport[b]!,
      });
    }
    if (j.segs !== undefined) {
      const full = st.gLen[g]!;
      const had = j.segs.get(a)?.bytes ?? full;
      const got = j.segs.get(b)?.bytes ?? full;
      if (got < had) out.push({ kind: 'lost', at: points[st.point[a]!]!.id, expected: at, bytes: had - got });
    }
    if (st.ttl[b]! < st.ttl[a]!)
      out.push({ kind: 'routed', at, field: 'ip.ttl', from: st.ttl[a]!, to: st.ttl[b]! });
    const ma = st.macSrc[a]!;
    const mb = st.macSrc[b]!;
    if (ma >= 0 && mb >= 0 && ma !== mb) {
      out.push({ kind: 'mac-rewrite', at, field: 'eth.src', from: st.macText(ma), to: st.macText(mb) });
    }
    const da = st.macDst[a]!;
    const db = st.macDst[b]!;
    if (da >= 0 && db >= 0 && da !== db) {
      out.push({ kind: 'mac-rewrite', at, field: 'eth.dst', from: st.macText(da), to: st.macText(db) });
    }
  }
  const last = ss[ss.length - 1]!;
  const lastOrder = points[st.point[last]!]!.order;
  const next = nextOrder(sortedOrders, lastOrder, j.reply);
  if (next !== undefined) {
    const expected = points.find((p) => p.order === next)!;
    out.push({ kind: 'lost', at: points[st.point[last]!]!.id, expected: expected.id });
  }
  return out;
}

function nextOrder(sorted: number[], order: number, reply: boolean): number | undefined {
  if (!reply) {
    for (const o of sorted) if (o > order) return o;
    return undefined;
  }
  for (let i = sorted.length - 1; i >= 0; i--) if (sorted[i]! < order) return sorted[i];
  return undefined;
}

export function durationText(ns: number): string {
  const a = Math.abs(ns);
  if (a < 1000) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${threeDigits(ns / 1000)} µs`;
  if (a < 1e9) return `${threeDigits(ns / 1e6)} ms`;
  return `${+(ns / 1e9).toPrecision(3)} s`;
}

/**
 * +x.toPrecision(3) for 1 <= |x| < 1000, without toPrecision's string (a journey's latency text is
 * made for each of a big capture's hundreds of thousands of journeys). The scaled value is rounded
 * as toPrecision rounds the exact one, except within a hair of a tie, where toPrecision decides.
 */
export function threeDigits(x: number): number {
  const a = Math.abs(x);
  const scale = a >= 100 ? 1 : a >= 10 ? 10 : 100;
  const scaled = a * scale;
  const frac = scaled - Math.floor(scaled);
  if (Math.abs(frac - 0.5) < 1e-6) return +x.toPrecision(3);
  const n = Math.floor(scaled) + (frac > 0.5 ? 1 : 0);
  return (x < 0 ? -n : n) / scale;
}

const TCP_FLAG_NAMES: [number, string][] = [
  [0x02, 'SYN'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x10, 'ACK'],
  [0x20, 'URG'],
];

const flagsText: string[] = [];

export function tcpFlagsText(f: number): string {
  let t = flagsText[f];
  if (t === undefined) {
    t = `[${TCP_FLAG_NAMES.filter(([bit]) => f & bit)
      .map(([, n]) => n)
      .join(',')}]`;
    flagsText[f] = t;
  }
  return t;
}

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  8: 'echo request',
  11: 'time exceeded',
  13: 'timestamp request',
  14: 'timestamp reply',
};
const ICMPV6_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  3: 'time exceeded',
  128: 'echo request',
  129: 'echo reply',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
};

export function protocolName(proto: number): string {
  return proto === 6
    ? 'tcp'
    : proto === 17
      ? 'udp'
      : proto === 1
        ? 'icmp'
        : proto === 58
          ? 'icmpv6'
          : String(proto);
}

function endpoint(addr: string, port: number | undefined): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** One line: what the packet is, where it went, what changed on the way, how long it took. */
export function summarize(
  st: SightingStore,
  j: RawJourney,
  findings: Finding[],
  latency: { ns: number; comparable: boolean } | undefined,
  retransmission: boolean,
): string {
  const g = j.group;
  const first = j.sightings[0]!;
  const proto = st.gProto[g]!;
  const ports = proto === 6 || proto === 17;
  const src = endpoint(st.srcText(first), ports ? st.sport[first] : undefined);
  const dst = endpoint(st.dstText(first), ports ? st.dport[first] : undefined);
  let what: string;
  if (proto === 6) {
    what = `TCP ${src} → ${dst} ${tcpFlagsText(st.gFlags[g]!)} seq ${st.gSeq[g]} len ${st.gLen[g]}`;
  } else if (proto === 17) {
    const app = st.gApp[g]!;
    what =
      app >= 0
        ? `DNS ${app >>> 16 ? 'response' : 'query'} ${src} → ${dst} (id ${app & 0xffff})`
        : `UDP ${src} → ${dst} len ${st.gLen[g]}`;
  } else if (proto === 1 || proto === 58) {
    const type = st.gFlags[g]! >>> 8;
    const name = (proto === 1 ? ICMP_NAMES : ICMPV6_NAMES)[type] ?? `type ${type}`;
    const ids = isEcho(st, g) ? ` (id ${st.sport[first]} seq ${st.gSeq[g]})` : '';
    what = `${proto === 1 ? 'ICMP' : 'ICMPv6'} ${name} ${src} → ${dst}${ids}`;
  } else {
    what = `IP proto ${proto} ${src} → ${dst}`;
  }
  const parts: string[] = [`${j.sightings.length} hop${j.sightings.length === 1 ? '' : 's'}`];
  const sent = j.dups?.get(first)?.count ?? 0;
  if (sent > 0) parts.push(`${sent + 1} identical packets`);
  // NAT of address and port at one point reads as one rewrite: SNAT a:p→b:q at X
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i]!;
    if (f.kind === 'snat' || f.kind === 'dnat') {
      let from = String(f.from);
      let to = String(f.to);
      for (let k = i + 1; k < findings.length; k++) {
        const n = findings[k]!;
        if (n.kind !== f.kind || n.at !== f.at) break;
        from += `:${n.from}`;
        to += `:${n.to}`;
        i = k;
      }
      parts.push(`${f.kind === 'snat' ? 'SNAT' : 'DNAT'} ${from}→${to} at ${f.at}`);
    } else if (f.kind === 'encap') {
      const name = f.tunnel === 'geneve' ? 'Geneve' : 'VXLAN';
      parts.push(`${name} VNI ${f.vni} ${f['outer.ip.src']}→${f['outer.ip.dst']} at ${f.at}`);
    } else if (f.kind === 'decap') {
      parts.push(`decap at ${f.at}`);
    } else if (f.kind === 'duplicate') {
      parts.push(`duplicated at ${f.at} (${f.count + 1} copies)`);
    } else if (f.kind === 'lost') {
      parts.push(
        f.bytes === undefined
          ? `lost after ${f.at} (expected at ${f.expected})`
          : `${f.bytes} bytes of segments lost between ${f.at} and ${f.expected}`,
      );
    }
  }
  let segs = 0;
  if (j.segs !== undefined) for (const s of j.segs.values()) if (s.count > segs) segs = s.count;
  if (segs > 1) parts.push(`split into ${segs} segments`);
  if (latency !== undefined && j.sightings.length > 1) {
    parts.push(
      latency.comparable ? durationText(latency.ns) : `${durationText(latency.ns)} (across node clocks)`,
    );
  }
  // join() leaves one flat string: a template would keep a rope of every piece alive per journey
  return [retransmission ? 'retransmission: ' : '', what, ': ', parts.join(', ')].join('');
}
