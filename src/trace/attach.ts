// Which journeys a conntrack entry is about: the connection's tuples (original and reply, which
// differ when it is NATed) against the addresses and ports each journey was seen with.
import type { ConntrackRecord } from '../capture/conntrack.ts';
import type { Journey, Sighting } from '../journey/types.ts';
import type { ConntrackTuple } from '../topology/parsers/conntrack.ts';
import type { ConntrackEvent } from './types.ts';

function ports(s: Sighting): [number | undefined, number | undefined] {
  return [s['tcp.srcport'] ?? s['udp.srcport'], s['tcp.dstport'] ?? s['udp.dstport']];
}

function tupleMatches(t: ConntrackTuple, s: Sighting): boolean {
  const [sp, dp] = ports(s);
  const same = (a?: number, b?: number) => a === undefined || b === undefined || a === b;
  if (t.src === s['ip.src'] && t.dst === s['ip.dst']) return same(t.sport, sp) && same(t.dport, dp);
  if (t.src === s['ip.dst'] && t.dst === s['ip.src']) return same(t.sport, dp) && same(t.dport, sp);
  return false;
}

const PROTO: Record<string, string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmpv6: 'icmpv6' };

export function attachConntrack(
  records: readonly ConntrackRecord[],
  journeys: readonly Journey[],
): ConntrackEvent[] {
  return records.map((r) => {
    const idx: number[] = [];
    journeys.forEach((j, i) => {
      if (PROTO[j.protocol] !== r.entry.protocol) return;
      if (j.sightings.some((s) => tupleMatches(r.entry.orig, s) || tupleMatches(r.entry.reply, s)))
        idx.push(i);
    });
    return { source: r.source, kind: r.kind, entry: r.entry, journeys: idx };
  });
}
