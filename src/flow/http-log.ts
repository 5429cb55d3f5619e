// What the HTTP/1.x analysis yields: transactions (a request paired with its response, or either
// alone) and issues, from every connection into one log, in the order they happen.

export interface HttpTransaction {
  /** The flow (TCP connection) id. */
  flow: number;
  method?: string;
  uri?: string;
  host?: string;
  /** When the request head's first segment was seen. */
  requestNs?: number;
  status?: number;
  reason?: string;
  /** When the response head's first segment was seen. */
  responseNs?: number;
  /** responseNs − requestNs (time to the response's first byte). */
  latencyNs?: number;
}

export interface HttpIssue {
  flow: number;
  tNs: number;
  message: string;
}

/** Where transactions and issues of every connection are collected, in the order they happen. */
export class HttpLog {
  readonly transactions: HttpTransaction[] = [];
  readonly issues: HttpIssue[] = [];
  droppedIssues = 0;
  constructor(readonly maxIssues = 1000) {}

  issue(flow: number, tNs: number, message: string) {
    if (this.issues.length >= this.maxIssues) this.droppedIssues++;
    else this.issues.push({ flow, tNs, message });
  }
}
