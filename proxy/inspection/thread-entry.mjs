// Entry of the inspection thread: registers tsx in the worker so thread.ts runs as it is.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
