// Entry of the archive recovery thread: registers tsx in the worker so recovery-thread.ts runs as it is.
import { register } from 'tsx/esm/api';

register();
await import('./recovery-thread.ts');
