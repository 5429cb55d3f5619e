// The journey correlator's public face (see correlate.ts for how to feed it).

export type { CaptureCorrelation, CorrelateCaptureOptions } from './correlate.ts';
export { Correlator, correlateCapture, correlateCaptureLazy, journeyDissector } from './correlate.ts';
export { Correlation } from './materialize.ts';
export type * from './types.ts';
