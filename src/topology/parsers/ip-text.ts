// The plain-text form of `ip [-d] [-s] link show` and `ip addr show`, as users paste it:
//
//   4: eth0@if4615: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc noqueue master ovs-system state UP ...
//       link/ether 0a:58:0a:80:02:2b brd ff:ff:ff:ff:ff:ff link-netnsid 0
//       veth                                   <- -d: the kind (and/or `openvswitch_slave ...`)
//       inet 10.128.2.43/23 brd 10.128.3.255 scope global eth0
//
// `NAME@ifN` names the peer by ifindex (peer in another namespace), `NAME@PEER` by name (same
// namespace), `NAME@NONE` names nothing. The result has the same shape as the JSON parser's, so
// callers treat pasted text and `ip -j` alike; the text simply carries fewer fields.

import { contentLines, issue, type ParseIssue, ToolOutputError } from './errors.ts';
import type { IpAddress, IpInterface, IpTunnelInfo } from './ip.ts';

const COMMAND = 'ip link/addr (text)';
const HEADER = /^(\d+):\s+(\S+):\s+<([^>]*)>(.*)$/;

/** Words that start an indented line but are not a link kind. */
const NOT_A_KIND = new Set([
  'addrgenmode',
  'altname',
  'alias',
  'prop',
  'vf',
  'valid_lft',
  'cfg',
  'inet',
  'inet6',
]);

function splitName(nameField: string): Pick<IpInterface, 'ifname' | 'link' | 'linkIndex'> {
  const at = nameField.lastIndexOf('@');
  if (at <= 0) return { ifname: nameField };
  const ifname = nameField.slice(0, at);
  const peer = nameField.slice(at + 1);
  const m = /^if(\d+)$/.exec(peer);
  if (m) return { ifname, linkIndex: Number(m[1]) };
  if (peer === 'NONE' || peer === '') return { ifname };
  return { ifname, link: peer };
}

function wordAfter(words: string[], key: string): string | undefined {
  const i = words.indexOf(key);
  return i >= 0 ? words[i + 1] : undefined;
}

function intAfter(words: string[], key: string): number | undefined {
  const v = wordAfter(words, key);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

function headerOf(m: RegExpExecArray): IpInterface {
  const words = m[4]!.trim().split(/\s+/);
  const iface: IpInterface = {
    ifindex: Number(m[1]),
    ...splitName(m[2]!),
    flags: m[3] === '' ? [] : m[3]!.split(','),
  };
  const mtu = intAfter(words, 'mtu');
  if (mtu !== undefined) iface.mtu = mtu;
  const master = wordAfter(words, 'master');
  if (master !== undefined) iface.master = master;
  const state = wordAfter(words, 'state');
  if (state !== undefined) iface.operstate = state;
  return iface;
}

/**
 * Parses one header line (`4: eth0@if4615: <...> mtu 1400 ... master ovs-system state UP`);
 * throws a ToolOutputError when the line is not one.
 */
export function parseIpLinkLine(line: string): IpInterface {
  const m = HEADER.exec(line.trim());
  if (!m) {
    throw new ToolOutputError([
      issue(
        'unrecognized-line',
        COMMAND,
        [],
        '',
        `not an interface line ("N: NAME: <FLAGS> ..."): ${JSON.stringify(line.slice(0, 60))}`,
      ),
    ]);
  }
  return headerOf(m);
}

function applyLinkLine(iface: IpInterface, words: string[]): void {
  iface.linkType = words[0]!.slice('link/'.length);
  const addr = words[1];
  if (addr !== undefined && !['brd', 'peer', 'promiscuity', 'link-netnsid', 'link-netns'].includes(addr)) {
    iface.address = addr;
  }
  const brd = wordAfter(words, 'brd');
  if (brd !== undefined) iface.broadcast = brd;
  const nsid = intAfter(words, 'link-netnsid');
  if (nsid !== undefined) iface.linkNetnsid = nsid;
  const ns = wordAfter(words, 'link-netns');
  if (ns !== undefined) iface.linkNetns = ns;
}

function addressOf(words: string[]): IpAddress | undefined {
  const family = words[0]!;
  const first = words[1];
  if (first === undefined) return undefined;
  const [local, plen] = first.split('/');
  if (!local) return undefined;
  const addr: IpAddress = { family, local, prefixlen: family === 'inet6' ? 128 : 32 };
  if (plen !== undefined && /^\d+$/.test(plen)) addr.prefixlen = Number(plen);
  const peer = wordAfter(words, 'peer');
  if (peer !== undefined) {
    // `inet 172.30.0.1 peer 172.30.0.2/32`: the prefix belongs to the peer.
    const [p, pl] = peer.split('/');
    if (p) addr.peer = p;
    if (pl !== undefined && /^\d+$/.test(pl)) addr.prefixlen = Number(pl);
  }
  const brd = wordAfter(words, 'brd');
  if (brd !== undefined) addr.broadcast = brd;
  const scope = wordAfter(words, 'scope');
  if (scope !== undefined) addr.scope = scope;
  // The label, when printed, is the last word of an inet line and not a flag word.
  const last = words[words.length - 1]!;
  if (
    family === 'inet' &&
    words.length > 2 &&
    /[a-zA-Z]/.test(last) &&
    last !== scope &&
    !FLAG_WORDS.has(last)
  ) {
    addr.label = last;
  }
  return addr;
}

const FLAG_WORDS = new Set([
  'dynamic',
  'noprefixroute',
  'mngtmpaddr',
  'secondary',
  'temporary',
  'tentative',
  'deprecated',
  'nodad',
  'optimistic',
  'home',
  'permanent',
  'stable-privacy',
  'dadfailed',
  'autojoin',
]);

function applyKindLine(iface: IpInterface, words: string[]): void {
  const kw = words[0]!;
  if (kw.endsWith('_slave')) {
    iface.slaveKind = kw.slice(0, -'_slave'.length);
    return;
  }
  if (iface.kind !== undefined) return;
  iface.kind = kw;
  if (kw === 'vxlan' || kw === 'geneve') {
    const t: IpTunnelInfo = { kind: kw };
    const id = intAfter(words, 'id');
    if (id !== undefined) t.id = id;
    const remote = wordAfter(words, 'remote') ?? wordAfter(words, 'group');
    if (remote !== undefined) t.remote = remote;
    const local = wordAfter(words, 'local');
    if (local !== undefined) t.local = local;
    const port = intAfter(words, 'dstport');
    if (port !== undefined) t.port = port;
    if (words.includes('external')) t.external = true;
    const dev = wordAfter(words, 'dev');
    if (dev !== undefined) t.dev = dev;
    iface.tunnel = t;
  }
}

/**
 * Parses `ip link`, `ip -d link`, `ip -s link`, `ip addr` text. Lines that belong to none of these
 * become issues; the interfaces around them are kept. `addresses` is filled (possibly empty) on every
 * interface when the text has any `inet`/`inet6` line, i.e. when it looks like `ip addr` output.
 */
export function parseIpText(text: string): { interfaces: IpInterface[]; issues: ParseIssue[] } {
  const interfaces: IpInterface[] = [];
  const issues: ParseIssue[] = [];
  let cur: IpInterface | undefined;
  let afterStats = false;
  let sawAddress = false;
  const bad = (no: number, line: string, why: string) =>
    issues.push(
      issue(
        'unrecognized-line',
        COMMAND,
        [no - 1],
        `line ${no}`,
        `${why}: ${JSON.stringify(line.trim().slice(0, 60))}`,
      ),
    );

  for (const { no, line } of contentLines(text)) {
    const head = HEADER.exec(line);
    if (head) {
      cur = headerOf(head);
      interfaces.push(cur);
      afterStats = false;
      continue;
    }
    if (!/^\s/.test(line)) {
      bad(no, line, 'not an interface line');
      continue;
    }
    if (!cur) {
      bad(no, line, 'indented line before any interface');
      continue;
    }
    const words = line.trim().split(/\s+/);
    const kw = words[0]!;
    if (kw === 'RX:' || kw === 'TX:') {
      afterStats = true;
      continue;
    }
    if (afterStats && /^[\d\s]+$/.test(line)) continue;
    afterStats = false;
    if (kw.startsWith('link/')) applyLinkLine(cur, words);
    else if (kw === 'inet' || kw === 'inet6') {
      const a = addressOf(words);
      sawAddress = true;
      if (a) {
        cur.addresses ??= [];
        cur.addresses.push(a);
      } else bad(no, line, 'address line without an address');
    } else if (/^[a-z][a-z0-9_]*$/.test(kw) && !NOT_A_KIND.has(kw)) applyKindLine(cur, words);
    else if (!NOT_A_KIND.has(kw)) bad(no, line, 'unexpected line');
  }
  if (sawAddress) for (const i of interfaces) i.addresses ??= [];
  return { interfaces, issues };
}

/**
 * `ip netns list-id`: which namespace a `link-netnsid` / `link_netnsid` number stands for, as seen
 * from the namespace the command ran in (`nsid 0 (iproute2 netns name: pod-a)`; the name only when
 * the namespace is mounted under /run/netns).
 */
export function parseIpNetnsListId(text: string): {
  ids: { nsid: number; name?: string }[];
  issues: ParseIssue[];
} {
  const ids: { nsid: number; name?: string }[] = [];
  const issues: ParseIssue[] = [];
  for (const { no, line } of contentLines(text)) {
    const m = /^nsid (\d+)\s*(?:\(iproute2 netns name: (.*)\))?\s*$/.exec(line.trim());
    if (!m) {
      issues.push(
        issue(
          'unrecognized-line',
          'ip netns list-id',
          [no - 1],
          `line ${no}`,
          `not "nsid N ...": ${JSON.stringify(line.trim().slice(0, 60))}`,
        ),
      );
      continue;
    }
    ids.push(m[2] !== undefined ? { nsid: Number(m[1]), name: m[2] } : { nsid: Number(m[1]) });
  }
  return { ids, issues };
}
