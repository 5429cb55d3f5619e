// The packet-journey correlator: packets captured at every point of a path go in (streaming, one
// at a time, nothing of the packet kept but numbers), journeys come out: the same packet recognised
// at each point, in path order, with what changed between points and how long each hop took.
import { statSync } from 'node:fs';
import { defaultDissector } from '../decode/bindings.ts';
import type { Dissector } from '../decode/dissector.ts';
import { FlatDecoder } from '../decode/flat.ts';
import { FlatPacket } from '../decode/flat-packet.ts';
import type { Packet } from '../decode/packet.ts';
import { NettraceError } from '../errors.ts';
import { readCaptureFile } from '../pcap/reader.ts';
import { formatEpoch } from '../pcap/timestamp.ts';
import type { CaptureDiagnostic, CaptureInterface } from '../pcap/types.ts';
import { ClockBook } from './clock.ts';
import { decideDirections, orderSightings, type PathPoints } from './direction.ts';
import { extract, PacketView } from './fingerprint.ts';
import { extractFlat } from './flat-view.ts';
import { Correlation } from './materialize.ts';
import { findRetransmissions, pairReplies } from './pairing.ts';
import { buildPasses, coalesceSegments, type RawJourney } from './passes.ts';
import { SightingStore } from './store.ts';
import type { CapturePoint, CorrelationResult, CorrelatorOptions } from './types.ts';

export class Correlator {
  readonly points: CapturePoint[];
  private readonly index = new Map<string, number>();
  private readonly st = new SightingStore();
  private readonly view = new PacketView();
  private t0Sec = -1;
  private t0Nsec = 0;
  private nonIp = 0;
  /** Frames the caller could not map to a point (counted by correlateCapture). */
  unknownPoint = 0;

  constructor(
    points: CapturePoint[],
    private readonly opts: CorrelatorOptions = {},
  ) {
    if (points.length === 0)
      throw new NettraceError('no-capture-points', 'the correlator needs at least one capture point');
    if (points.length > 65535)
      throw new NettraceError('too-many-points', `${points.length} capture points (at most 65535)`);
    this.points = [...points];
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      if (this.index.has(p.id))
        throw new NettraceError('duplicate-point', `capture point "${p.id}" is listed twice`);
      if (!Number.isFinite(p.order))
        throw new NettraceError('bad-point', `capture point "${p.id}" has no numeric order`);
      this.index.set(p.id, i);
    }
  }

  /** The index add() also accepts in place of the id (saves a lookup per packet). */
  pointIndex(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) {
      throw new NettraceError(
        'unknown-point',
        `no capture point "${id}" (known: ${[...this.index.keys()].join(', ')})`,
      );
    }
    return i;
  }

  /**
   * One packet captured at `point` (its id or pointIndex()). Keeps no reference to `p` or its
   * bytes. `frame` is the packet's number in its capture, echoed in sightings.
   */
  add(point: string | number, tsSec: number, tsNsec: number, p: Packet, frame = 0): void {
    const pi = typeof point === 'number' ? point : this.pointIndex(point);
    if (pi < 0 || pi >= this.points.length || !Number.isInteger(pi)) {
      throw new NettraceError('unknown-point', `no capture point #${pi} (there are ${this.points.length})`);
    }
    this.sighting(pi, tsSec, tsNsec, extract(p, this.view), frame);
  }

  /** `add` of a frame the flat decoder read into `fp` from `buf`, at point index `pi`. */
  addFlat(pi: number, tsSec: number, tsNsec: number, fp: FlatPacket, buf: Uint8Array, frame: number): void {
    this.sighting(pi, tsSec, tsNsec, extractFlat(fp, buf, this.view), frame);
  }

  /** The packet `view` holds (when `ip`: it had an IP header) seen at point `pi`. */
  private sighting(pi: number, tsSec: number, tsNsec: number, ip: boolean, frame: number): void {
    if (!ip) {
      this.nonIp++;
      return;
    }
    if (this.t0Sec < 0) {
      this.t0Sec = tsSec;
      this.t0Nsec = tsNsec;
    }
    this.st.add(pi, (tsSec - this.t0Sec) * 1e9 + (tsNsec - this.t0Nsec), frame, this.view);
  }

  /** Correlates what was added: journeys are built on demand from the returned view. */
  finish(): Correlation {
    const st = this.st;
    const points = this.points;
    const n = points.length;
    const pp: PathPoints = { order: new Float64Array(n), node: new Int32Array(n) };
    const nodes = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const p = points[i]!;
      pp.order[i] = p.order;
      let k = nodes.get(p.node);
      if (k === undefined) {
        k = nodes.size;
        nodes.set(p.node, k);
      }
      pp.node[i] = k;
    }
    const sortedOrders = [...new Set(points.map((p) => p.order))].sort((a, b) => a - b);

    let raw = buildPasses(st, n, this.opts.duplicateWindowNs ?? 5e6);
    raw = coalesceSegments(st, raw, n);
    decideDirections(st, pp, raw, this.opts.request);
    orderSightings(st, pp, raw);
    const clock = new ClockBook(points.map((p) => p.node));
    let single = 0;
    for (const j of raw) {
      const ss = j.sightings;
      if (ss.length === 1) single++;
      for (let i = 1; i < ss.length; i++) {
        const a = ss[i - 1]!;
        const b = ss[i]!;
        if (pp.node[st.point[a]!] !== pp.node[st.point[b]!] || st.time[b]! < st.time[a]!) {
          clock.hop(st.point[a]!, st.point[b]!, st.time[b]! - st.time[a]!);
        }
      }
    }
    const clockOffsets = clock.offsets();
    // Journeys are listed in time order on the source side's clock, other clocks corrected when known.
    const ref = points.reduce((a, b) => (b.order < a.order ? b : a)).node;
    const correction = clock.corrections(ref, clockOffsets);
    if (correction.size > 0) {
      for (const j of raw) j.start -= correction.get(points[st.point[j.sightings[0]!]!]!.node) ?? 0;
    }
    raw = sortByStart(raw);
    return new Correlation({
      st,
      points,
      pp,
      sortedOrders,
      raw,
      retrans: findRetransmissions(st, raw),
      answers: pairReplies(st, raw),
      t0: this.t0Sec < 0 ? '0.000000000' : formatEpoch(this.t0Sec, this.t0Nsec),
      unmatched: { nonIp: this.nonIp, unknownPoint: this.unknownPoint, singleSighting: single },
      clockWarnings: clock.warnings(clockOffsets),
      clockOffsets,
    });
  }

  /**
   * `share` of the capture (0..1, by bytes) has been read: room is made once for the rest, in
   * proportion to the sightings and fingerprints so far (SightingStore.reserve).
   */
  expectRest(share: number): void {
    const st = this.st;
    if (share <= 0 || share >= 1) return;
    // Capped: a dense first MiB of a huge file must not ask for more than typed arrays can hold
    // (past the caps the columns grow by doubling, as without an estimate).
    const est = (k: number, cap: number) => Math.min(cap, Math.ceil((k / share) * 1.05));
    st.reserve(est(st.n, 2 ** 26), est(st.gn, 2 ** 24));
  }

  /** finish() with every journey built: the whole Trace result. */
  result(): CorrelationResult {
    return this.finish().toResult();
  }
}

function sortByStart(js: RawJourney[]): RawJourney[] {
  let sorted = true;
  for (let i = 1; i < js.length && sorted; i++) if (js[i]!.start < js[i - 1]!.start) sorted = false;
  if (sorted) return js;
  // Stable: equal starts keep capture order.
  return js
    .map((j, i) => ({ j, i }))
    .sort((a, b) => a.j.start - b.j.start || a.i - b.i)
    .map((x) => x.j);
}

export interface CorrelateCaptureOptions extends CorrelatorOptions {
  /** Capture interface name (or "#<index>") -> point id, for names that are not point ids. */
  interfaces?: Record<string, string>;
  dissector?: Dissector;
  /** Read the common packet shapes with the flat decoder (default true); the result is the same. */
  flat?: boolean;
}

export interface CaptureCorrelation extends CorrelationResult {
  packets: number;
  diagnostic?: CaptureDiagnostic;
}

/**
 * A decoder set for correlation: everything down to the transport layer and tunnels, without the
 * application decoders (DNS, HTTP) whose fields the correlator does not use.
 */
export function journeyDissector(): Dissector {
  const d = defaultDissector();
  d.tables['tcp.port'].clear();
  d.tables['udp.port'].delete(53);
  return d;
}

/**
 * Reads a multi-interface capture (a bundle's capture.pcapng) into a Correlator: each interface is
 * the capture point whose id equals its name, or whose "node/interface" does, or that
 * `opts.interfaces` names. Journeys are built as the returned view is iterated.
 */
export function correlateCaptureLazy(
  path: string,
  points: CapturePoint[],
  opts: CorrelateCaptureOptions = {},
): { correlation: Correlation; packets: number; diagnostic?: CaptureDiagnostic } {
  const c = new Correlator(points, opts);
  const d = opts.dissector ?? journeyDissector();
  const flat = opts.flat === false ? undefined : new FlatDecoder(d);
  const fp = new FlatPacket();
  const byIface: number[] = [];
  const resolve = (iface: CaptureInterface): number => {
    const name = iface.name ?? '';
    const mapped = opts.interfaces?.[name] ?? opts.interfaces?.[`#${iface.globalId}`];
    const id =
      mapped ??
      points.find((p) => p.id === name)?.id ??
      points.find((p) => `${p.node}/${p.interface}` === name)?.id;
    return id === undefined ? -1 : c.pointIndex(id);
  };
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    // readCaptureFile says what is wrong with the path.
  }
  let reserved = false;
  const res = readCaptureFile(
    path,
    {
      // In place, and through the flat decoder first (the Dissector for what it declines), as analyze.
      onFrame(rec, iface) {
        let pi = byIface[rec.interfaceId];
        if (pi === undefined) {
          pi = resolve(iface);
          byIface[rec.interfaceId] = pi;
        }
        if (pi < 0) {
          c.unknownPoint++;
          return;
        }
        const buf = rec.buf;
        if (flat?.decodeAt(buf, rec.offset, rec.capLen, rec.origLen, rec.linktype, fp)) {
          c.addFlat(pi, rec.tsSec, rec.tsNsec, fp, buf, rec.number);
          return;
        }
        const data = buf.subarray(rec.offset, rec.offset + rec.capLen);
        c.add(pi, rec.tsSec, rec.tsNsec, d.decode(data, rec.origLen, rec.linktype), rec.number);
      },
    },
    {
      // After the first chunk: a big capture's columns are then made once, not doubled ~12 times.
      onChunk(read) {
        if (reserved || size <= read) return;
        reserved = true;
        c.expectRest(read / size);
      },
    },
  );
  const out: { correlation: Correlation; packets: number; diagnostic?: CaptureDiagnostic } = {
    correlation: c.finish(),
    packets: res.packets,
  };
  if (res.diagnostic) out.diagnostic = res.diagnostic;
  return out;
}

/** correlateCaptureLazy with every journey built: the whole Trace result. */
export function correlateCapture(
  path: string,
  points: CapturePoint[],
  opts: CorrelateCaptureOptions = {},
): CaptureCorrelation {
  const { correlation, packets, diagnostic } = correlateCaptureLazy(path, points, opts);
  const out: CaptureCorrelation = { ...correlation.toResult(), packets };
  if (diagnostic) out.diagnostic = diagnostic;
  return out;
}
