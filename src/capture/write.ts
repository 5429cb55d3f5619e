// A finished capture as one pcapng: one interface per capture point, named by the point's id
// (`node/iface`) and described by what the point is, so Wireshark shows where each packet was seen.
import { writePcapngFile } from '../pcap/writer.ts';
import type { CaptureOutcome, CaptureTarget } from './session.ts';

export function writeCapture(path: string, targets: readonly CaptureTarget[], out: CaptureOutcome): void {
  writePcapngFile(
    path,
    (w) => {
      const ids = targets.map((t, i) =>
        w.addInterface({
          // A point that saw nothing still gets an interface; Ethernet is what tcpdump would report.
          linktype: out.points[i]?.linktype ?? 1,
          name: t.id,
          description: t.description,
          tsresol: 'ns',
        }),
      );
      for (const p of out.packets) {
        w.writePacket(ids[p.point]!, { tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data, origLen: p.origLen });
      }
    },
    { application: 'nettrace trace' },
  );
}
