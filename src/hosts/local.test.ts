import { hostSuite } from './host-suite.ts';
import { LocalHost } from './local.ts';

hostSuite('LocalHost', { make: (log) => new LocalHost({ log }) });
