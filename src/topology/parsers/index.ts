// Pure parsers of the tools nettrace reads: text/JSON in, typed data out. JSON outputs throw one
// ToolOutputError listing every issue; line outputs return what they could read plus `issues`.
export type { ConntrackEntry, ConntrackEvent, ConntrackTuple, NatChange, NatEndpoint } from './conntrack.ts';
export { natOf, parseConntrack, parseConntrackLine } from './conntrack.ts';
export type { CriContainer, CriPodSandbox, CriRuntime } from './crictl.ts';
export { parseCrictlInspect, parseCrictlInspectp, parseCrictlPods, parseCrictlPs } from './crictl.ts';
export { parseDpctlConntrack, parseDpctlConntrackLine } from './dpctl.ts';
export type { ParseIssue, ParseIssueCode } from './errors.ts';
export { assertNoIssues, formatIssue, ToolOutputError } from './errors.ts';
export type { IpAddress, IpInterface, IpRoute, IpTunnelInfo } from './ip.ts';
export { parseIpAddr, parseIpLink, parseIpRoute } from './ip.ts';
export { parseIpLinkLine, parseIpNetnsListId, parseIpText } from './ip-text.ts';
export type { OfFlow, OfPort } from './ovs-ofctl.ts';
export { parseOfFlowLine, parseOvsOfctlDumpFlows, parseOvsOfctlShow, splitTopLevel } from './ovs-ofctl.ts';
export type { OvsBridge, OvsdbRow, OvsdbTableRows, OvsInterface, OvsPort } from './ovs-vsctl.ts';
export {
  parseOvsBridges,
  parseOvsdbJsonTable,
  parseOvsInterfaces,
  parseOvsPorts,
  parseOvsVsctlListText,
} from './ovs-vsctl.ts';
export type {
  OvsShow,
  OvsShowBridge,
  OvsShowInterface,
  OvsShowPort,
  OvsShowTarget,
} from './ovs-vsctl-show.ts';
export { parseOvsVsctlShow } from './ovs-vsctl-show.ts';
export type { OvsdbText } from './ovsdb.ts';
export { parseOvsdbText } from './ovsdb.ts';
